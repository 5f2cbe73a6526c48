package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
)

func TestToolsEndpoints(t *testing.T) {
	h := echoHub(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	sess := mcpSession(t, h, h.OwnerKey)
	var list api.List[tools.Info]
	owner.must(200, "GET", "/tools?q=ECHO", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Name != echoTool || list.Items[0].Backend != "echo" {
		t.Fatalf("search: %+v", list.Items)
	}
	cat := list.Items[0].Risk
	owner.must(200, "GET", "/tools?q=nothing-like-it", nil, &list)
	if len(list.Items) != 0 {
		t.Fatalf("search for a missing word: %+v", list.Items)
	}
	if r := owner.do("GET", "/tools?risk=spicy", nil); r.Status != 400 {
		t.Fatalf("unknown risk filter: %d", r.Status)
	}

	var info tools.Info
	owner.must(200, "PATCH", "/tools/"+echoTool, map[string]any{"disabled": true}, &info)
	if !info.Disabled {
		t.Fatalf("after disable: %+v", info)
	}
	if e := callTool(t, sess, echoTool); !strings.Contains(e, "disabled") {
		t.Fatalf("call of a disabled tool: %q", e)
	}
	owner.must(200, "PATCH", "/tools/"+echoTool, map[string]any{"disabled": false}, nil)
	if e := callTool(t, sess, echoTool); e != "" {
		t.Fatalf("call after enable: %s", e)
	}

	other := "destructive"
	if cat == other {
		other = "read"
	}
	owner.must(200, "PATCH", "/tools/"+echoTool, map[string]any{"risk": other}, &info)
	if info.Risk != other || info.RiskOverride != other {
		t.Fatalf("risk override: %+v", info)
	}
	owner.must(200, "GET", "/tools?risk="+other, nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("filter by the overridden risk: %+v", list.Items)
	}
	var cleared tools.Info // a fresh value: omitted fields must not keep old ones
	owner.must(200, "PATCH", "/tools/"+echoTool, map[string]any{"risk": ""}, &cleared)
	if cleared.RiskOverride != "" || cleared.Risk != cat {
		t.Fatalf("override cleared: %+v", cleared)
	}
	owner.must(200, "POST", "/tools/"+echoTool+"/approve", nil, &info)
	if info.Status != "approved" {
		t.Fatalf("approve: %+v", info)
	}
	for _, tc := range []struct {
		body   string
		status int
	}{{`{}`, 400}, {`{"risk":"spicy"}`, 400}, {`{"disabled":"yes"}`, 400}} {
		if r := owner.do("PATCH", "/tools/"+echoTool, tc.body); r.Status != tc.status {
			t.Errorf("PATCH %s: %d %s", tc.body, r.Status, r)
		}
	}
	if r := owner.do("PATCH", "/tools/nope", `{"disabled":true}`); r.Status != 404 {
		t.Errorf("PATCH unknown tool: %d", r.Status)
	}
}

func TestUsage(t *testing.T) {
	h := echoHub(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	_, b := userWithKey(t, h, "bob", "operator")
	var k api.APIKey
	b.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "mcp", Scope: "all"}, &k)
	for range 3 {
		callTool(t, mcpSession(t, h, h.OwnerKey), echoTool)
	}
	callTool(t, mcpSession(t, h, k.Key), echoTool)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var rows api.List[api.UsageRow]
		owner.must(200, "GET", "/usage?by=tool&bucket=24h", nil, &rows)
		var calls int64
		for _, r := range rows.Items {
			if r.Key == "echo" || strings.Contains(r.Key, "echo") {
				calls += r.Calls
			}
		}
		if calls == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage by tool: %+v, want 4 calls of echo", rows.Items)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var byUser api.List[api.UsageRow]
	owner.must(200, "GET", "/usage?by=user", nil, &byUser)
	if len(byUser.Items) != 2 {
		t.Errorf("usage by user: %+v", byUser.Items)
	}
	// usage.read without audit.read.all counts only the caller's own calls.
	owner.must(201, "POST", "/roles", api.RoleRequest{Name: "counter", Permissions: []string{"usage.read", "tools.call"}}, nil)
	_, counter := userWithKey(t, h, "cora", "counter")
	var mine api.List[api.UsageRow]
	counter.must(200, "GET", "/usage?by=user", nil, &mine)
	if len(mine.Items) != 0 {
		t.Errorf("usage of a caller without audit.read.all who made no call: %+v", mine.Items)
	}
}

// A role's tool globs apply to the REST API as to MCP: a tool it may not reach is neither
// listed nor readable nor changeable by it. Both ways: an operator sees it.
func TestToolsFollowRoleGlobs(t *testing.T) {
	h := echoHub(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	owner.must(201, "POST", "/roles", api.RoleRequest{Name: "narrow", Permissions: []string{"tools.read", "tools.write"}, ToolDeny: []string{"*echo*"}}, nil)
	_, narrow := userWithKey(t, h, "nora", "narrow")
	_, op := userWithKey(t, h, "otto", "operator")
	var list api.List[tools.Info]
	narrow.must(200, "GET", "/tools", nil, &list)
	if len(list.Items) != 0 {
		t.Fatalf("a denied tool listed: %+v", list.Items)
	}
	for _, tc := range []struct {
		method, path string
		body         any
	}{{"GET", "/tools/" + echoTool, nil}, {"PATCH", "/tools/" + echoTool, map[string]any{"disabled": true}}, {"POST", "/tools/" + echoTool + "/approve", nil}} {
		if r := narrow.do(tc.method, tc.path, tc.body); r.Status != 404 {
			t.Errorf("%s %s by a role denied the tool: %d %s", tc.method, tc.path, r.Status, r)
		}
	}
	op.must(200, "GET", "/tools", nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("operator's tools: %+v", list.Items)
	}
	op.must(200, "GET", "/tools/"+echoTool, nil, nil)
}

// Regression: an approval names the definition that was reviewed. A definition swapped
// between review and approval (a backend that changes it in that window) is not pinned:
// 409, and the tool keeps its state; the reviewed fingerprint is approved.
func TestApproveOnlyTheReviewedDefinition(t *testing.T) {
	h := echoHub(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	var detail api.ToolDetail
	owner.must(200, "GET", "/tools/"+echoTool, nil, &detail)
	if !strings.Contains(string(detail.Current), `"name":"`+echoTool+`"`) || detail.Pinned != nil {
		t.Fatalf("GET shows the definition to review: %s (pinned %s)", detail.Current, detail.Pinned)
	}
	before := detail.Info
	if before.Fingerprint == "" || before.Status == "approved" {
		t.Fatalf("tool before approval: %+v", before)
	}
	stale := map[string]string{"fingerprint": strings.Repeat("0", len(before.Fingerprint))}
	if r := owner.do("POST", "/tools/"+echoTool+"/approve", stale); r.Status != 409 || r.ErrorCode() != "conflict" {
		t.Fatalf("approve of another definition: %d %s, want 409", r.Status, r)
	}
	var after tools.Info
	owner.must(200, "GET", "/tools/"+echoTool, nil, &after)
	if after.Status != before.Status {
		t.Errorf("a refused approval changed the tool: %+v", after)
	}
	owner.must(200, "POST", "/tools/"+echoTool+"/approve", map[string]string{"fingerprint": before.Fingerprint}, &after)
	if after.Status != "approved" {
		t.Errorf("approve of the reviewed definition: %+v", after)
	}
}
