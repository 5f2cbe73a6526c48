package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// echoHub is a hub with the echo MCP server as hub-local backend "echo"; its tool is
// exposed as echo__echo.
func echoHub(t *testing.T, mod func(*config.Config)) *hubtest.Hub {
	url := echoMCP(t)
	h := hubtest.Start(t, func(c *config.Config) {
		c.Backends = []backend.Config{{Name: "echo", Transport: backend.TransportHTTP, URL: url}}
		if mod != nil {
			mod(c)
		}
	})
	waitBackend(t, newClient(t, h, h.OwnerKey), "echo", "ready")
	return h
}

const echoTool = "echo__echo"

func TestPoliciesInDatabase(t *testing.T) {
	h := echoHub(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	mcp := mcpSession(t, h, h.OwnerKey)
	var p api.Policies
	owner.must(200, "GET", "/policies", nil, &p)
	if p.Source != api.PolicyNone || p.Default != "allow" || len(p.Rules) != 0 {
		t.Fatalf("initial policy: %+v", p)
	}
	if e := callTool(t, mcp, echoTool); e != "" {
		t.Fatalf("call without a policy: %s", e)
	}

	deny := policy.Rule{Name: "no-echo", Effect: "deny", Tools: []string{"*echo*"}, Reason: "echo is off limits"}
	owner.must(201, "POST", "/policies/rules", deny, &p)
	if p.Source != api.PolicyFromDatabase || len(p.Rules) != 1 {
		t.Fatalf("after add: %+v", p)
	}
	if e := callTool(t, mcp, echoTool); !strings.Contains(e, "no-echo") {
		t.Fatalf("call after a deny rule was added: %q, want a refusal naming the rule", e)
	}
	var ex policy.Explanation
	owner.must(200, "POST", "/policies/dry-run", api.DryRun{Tool: echoTool, Role: "owner"}, &ex)
	if ex.Decision.Rule != "no-echo" || ex.Decision.Effect != policy.Deny || len(ex.Steps) != 1 {
		t.Fatalf("dry run: %+v", ex)
	}
	if r := owner.do("POST", "/policies/rules", deny); r.Status != 409 {
		t.Fatalf("duplicate rule: %d %s", r.Status, r)
	}
	if r := owner.do("POST", "/policies/rules", policy.Rule{Name: "bad", Effect: "permit"}); r.Status != 400 || !strings.Contains(r.String(), "effect") {
		t.Fatalf("invalid rule: %d %s", r.Status, r)
	}

	deny.Effect = "allow"
	owner.must(200, "PUT", "/policies/rules/no-echo", deny, nil)
	if e := callTool(t, mcp, echoTool); e != "" {
		t.Fatalf("call after the rule became allow: %s", e)
	}
	owner.must(200, "PUT", "/policies/default", api.PolicyDefault{Default: "deny", DefaultReason: "closed by default"}, nil)
	owner.must(204, "DELETE", "/policies/rules/no-echo", nil, nil)
	if e := callTool(t, mcp, echoTool); !strings.Contains(e, "closed by default") {
		t.Fatalf("call under default deny: %q", e)
	}
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"DELETE", "/policies/rules/no-echo", nil, 404},
		{"PUT", "/policies/rules/ghost", deny, 404},
		{"PUT", "/policies/default", api.PolicyDefault{Default: "maybe"}, 400},
		{"POST", "/policies/dry-run", api.DryRun{}, 400},
	} {
		if r := owner.do(tc.method, tc.path, tc.body); r.Status != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, r.Status, tc.status, r)
		}
	}
}

// A policy stored in the database is in force from the start.
func TestStoredPolicyAppliedAtStart(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSetting(context.Background(), api.PolicySetting, `{"default":"deny","default_reason":"stored says no","rules":[]}`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	h := echoHub(t, func(c *config.Config) { c.DataDir = dir })
	if e := callTool(t, mcpSession(t, h, h.OwnerKey), echoTool); !strings.Contains(e, "stored says no") {
		t.Fatalf("call under the stored policy: %q", e)
	}
}

func TestPoliciesFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.toml")
	if err := os.WriteFile(file, []byte("default = \"allow\"\n[[rules]]\nname = \"r1\"\neffect = \"deny\"\ntools = [\"*echo*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := echoHub(t, func(c *config.Config) { c.PolicyFile = file })
	owner := newClient(t, h, h.OwnerKey)
	var p api.Policies
	owner.must(200, "GET", "/policies", nil, &p)
	if p.Source != api.PolicyFromFile || p.Path != file || len(p.Rules) != 1 || p.Rules[0].Name != "r1" {
		t.Fatalf("file policy: %+v", p)
	}
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/policies/rules", policy.Rule{Name: "x", Effect: "allow"}},
		{"PUT", "/policies/rules/r1", policy.Rule{Name: "r1", Effect: "allow"}},
		{"DELETE", "/policies/rules/r1", nil},
		{"PUT", "/policies/default", api.PolicyDefault{Default: "deny"}},
	} {
		r := owner.do(tc.method, tc.path, tc.body)
		if r.Status != 409 || !strings.Contains(r.String(), "policies are managed in "+file) {
			t.Errorf("%s %s with policy_file: %d %s", tc.method, tc.path, r.Status, r)
		}
	}
	var ex policy.Explanation
	owner.must(200, "POST", "/policies/dry-run", api.DryRun{Tool: echoTool}, &ex)
	if ex.Decision.Rule != "r1" {
		t.Fatalf("dry run against the file: %+v", ex)
	}
}

// A policy another hub stored (same database) takes effect here at the next sync.
func TestStoredPolicySyncedFromAnotherHub(t *testing.T) {
	h := echoHub(t, nil)
	sess := mcpSession(t, h, h.OwnerKey)
	if e := callTool(t, sess, echoTool); e != "" {
		t.Fatalf("before: %s", e)
	}
	ctx := context.Background()
	if err := h.Server.Store.PutSetting(ctx, api.PolicySetting, `{"default":"deny","default_reason":"written elsewhere","rules":[]}`); err != nil {
		t.Fatal(err)
	}
	if err := h.Server.SyncPolicy(ctx); err != nil {
		t.Fatal(err)
	}
	if e := callTool(t, sess, echoTool); !strings.Contains(e, "written elsewhere") {
		t.Fatalf("after sync: %q", e)
	}
	// A stored policy that does not compile is not applied; the current one stays.
	if err := h.Server.Store.PutSetting(ctx, api.PolicySetting, `{"default":"sometimes"}`); err != nil {
		t.Fatal(err)
	}
	if err := h.Server.SyncPolicy(ctx); err == nil {
		t.Fatal("an invalid stored policy was accepted")
	}
	if e := callTool(t, sess, echoTool); !strings.Contains(e, "written elsewhere") {
		t.Fatalf("after a bad sync: %q", e)
	}
}
