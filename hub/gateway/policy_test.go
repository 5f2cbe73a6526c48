package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

const testPolicy = `
default = "allow"

[[rules]]
name = "no-fail-for-admins"
effect = "deny"
tools = ["fail"]
roles = ["admin"]
reason = "fail is off-limits"

[[rules]]
name = "no-slow-for-developers"
effect = "deny"
tools = ["util__slow"]
roles = ["developer"]

[[rules]]
name = "no-destructive"
effect = "deny"
risk = ["destructive"]
reason = "destructive tools are refused"

[[rules]]
name = "echo-in-tmp"
effect = "allow"
tools = ["echo"]
when = [{ arg = "path", under = "/tmp" }]

[[rules]]
name = "echo-elsewhere"
effect = "deny"
tools = ["echo"]
reason = "echo works only under /tmp"
`

// policyHarness is a harness in naming mode auto (util's tools listed under their original
// names, util__NAME an alias) with testPolicy and a destructive tool on the laptop.
func policyHarness(t *testing.T, src string) *harness {
	t.Helper()
	h := newHarness(t, Config{})
	h.router.SetDefaultNaming("auto")
	wipe := json.RawMessage(`{"name":"wipe","description":"Wipes it.","inputSchema":{"type":"object"},"annotations":{"destructiveHint":true,"readOnlyHint":false}}`)
	h.router.Set("laptop", []protocol.Backend{{Name: "fs", Transport: "stdio", State: protocol.StateReady,
		Tools: append(items("name", "read"), wipe)}})
	p, err := policy.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	h.gw.SetPolicy(p)
	return h
}

// rpcAs is h.rpc with request options, such as another caller's key.
func rpcAs(h *harness, sid string, id int, method, params string, mods ...func(*http.Request)) rpcMsg {
	h.t.Helper()
	resp := h.post(sid, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params), mods...)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("%s: status %d: %s", method, resp.StatusCode, b)
	}
	return h.reply(resp)
}

func listedTools(h *harness, sid string, mods ...func(*http.Request)) []string {
	h.t.Helper()
	m := rpcAs(h, sid, 100, "tools/list", "{}", mods...)
	var res struct{ Tools []struct{ Name string } }
	if err := json.Unmarshal(m.Result, &res); err != nil {
		h.t.Fatalf("tools/list %s: %v", m.Result, err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	return names
}

func TestPolicyDenyNotForwarded(t *testing.T) {
	h := policyHarness(t, testPolicy)
	sid := h.initialize("2025-11-25", "")
	cases := []struct {
		name, args, rule string // rule "" means allowed
	}{
		{"fail", `{}`, "no-fail-for-admins"},
		{"util__fail", `{}`, "no-fail-for-admins"}, // the alias is denied too
		{"laptop__fs__wipe", `{}`, "no-destructive"},
		{"wipe", `{}`, "no-destructive"},
		{"echo", `{"path":"/etc/passwd"}`, "echo-elsewhere"},
		{"util__echo", `{"path":"/tmp/../etc/passwd"}`, "echo-elsewhere"},
		{"echo", `{}`, "echo-elsewhere"},
		{"echo", `{"path":"/tmp/x"}`, ""},
		{"util__echo", `{"path":"/tmp/y"}`, ""},
		{"laptop__fs__read", `{}`, ""},
		{"slow", `{}`, "x"}, // allowed for admins; not run (it blocks): checked in the list test
	}
	for i, c := range cases {
		if c.rule == "x" {
			continue
		}
		before := h.up.count()
		m := h.rpc(sid, i+1, "tools/call", `{"name":"`+c.name+`","arguments":`+c.args+`}`)
		if c.rule == "" {
			var echo struct{ Target struct{ Name string } }
			toolText(t, m, &echo)
			if h.up.count() != before+1 {
				t.Errorf("%s %s: allowed but not forwarded", c.name, c.args)
			}
			continue
		}
		if m.Error == nil || m.Error.Code != codePolicyDenied || !strings.Contains(m.Error.Message, "policy rule "+c.rule) {
			t.Errorf("%s %s: got %+v %s, want a -32010 refusal by %s", c.name, c.args, m.Error, m.Result, c.rule)
		}
		if h.up.count() != before {
			t.Errorf("%s %s: refused, yet forwarded upstream", c.name, c.args)
		}
	}
}

func TestPolicyDenyReasonAndData(t *testing.T) {
	h := policyHarness(t, testPolicy)
	sid := h.initialize("2025-11-25", "")
	m := h.rpc(sid, 1, "tools/call", `{"name":"util__fail","arguments":{}}`)
	var data map[string]string
	if m.Error == nil || m.Error.Code != -32010 || m.Error.Message != "fail is off-limits (policy rule no-fail-for-admins)" ||
		json.Unmarshal(m.Error.Data, &data) != nil || data["rule"] != "no-fail-for-admins" || data["reason"] != "fail is off-limits" {
		t.Errorf("refusal %+v", m.Error)
	}
}

func TestPolicyHidesFromList(t *testing.T) {
	h := policyHarness(t, testPolicy)
	admin := listedTools(h, h.initialize("2025-11-25", ""))
	dev := listedTools(h, h.initialize("2025-11-25", "", withKey(bobKey)), withKey(bobKey))
	for _, c := range []struct {
		who     string
		listed  []string
		visible map[string]bool
	}{
		// echo stays: its conditional allow could let a call through.
		{"admin", admin, map[string]bool{"fail": false, "wipe": false, "slow": true, "echo": true, "read": true}},
		{"developer", dev, map[string]bool{"fail": true, "wipe": false, "slow": false, "echo": true, "read": true}},
	} {
		for name, want := range c.visible {
			if got := slices.Contains(c.listed, name); got != want {
				t.Errorf("%s: %s listed = %v, want %v (list %v)", c.who, name, got, want, c.listed)
			}
		}
	}
	// A developer is refused slow by its alias rule under either name.
	sid := h.initialize("2025-11-25", "", withKey(bobKey))
	for i, name := range []string{"slow", "util__slow"} {
		m := rpcAs(h, sid, i+1, "tools/call", `{"name":"`+name+`"}`, withKey(bobKey))
		if m.Error == nil || m.Error.Code != codePolicyDenied || !strings.Contains(m.Error.Message, "no-slow-for-developers") {
			t.Errorf("developer calls %s: %+v", name, m.Error)
		}
	}
}

func TestNoPolicyAllowsAll(t *testing.T) {
	h := policyHarness(t, testPolicy)
	h.gw.SetPolicy(nil)
	sid := h.initialize("2025-11-25", "")
	if got := listedTools(h, sid); !slices.Contains(got, "fail") || !slices.Contains(got, "wipe") {
		t.Errorf("without a policy the list is %v", got)
	}
	var echo struct{ Target struct{ Name string } }
	toolText(t, h.rpc(sid, 1, "tools/call", `{"name":"echo","arguments":{"path":"/etc"}}`), &echo)
	if echo.Target.Name != "echo" {
		t.Errorf("echo went to %+v", echo.Target)
	}
}

// A condition on an argument is checked against the arguments the backend reads: the
// member named exactly "arguments". A case variant ("ARGUMENTS") is ignored by backends
// but was merged into the decoded arguments by encoding/json, so a harmless path there hid
// the real one from the policy.
func TestPolicyArgumentsCaseVariantNotTrusted(t *testing.T) {
	h := policyHarness(t, testPolicy)
	sid := h.initialize("2025-11-25", "")
	for i, params := range []string{
		`{"name":"echo","arguments":{"path":"/etc/passwd"},"ARGUMENTS":{"path":"/tmp/x"}}`,
		`{"name":"echo","arguments":{"path":"/etc/passwd"},"Arguments":{"path":"/tmp/x"}}`,
		`{"name":"echo","ARGUMENTS":{"path":"/tmp/x"}}`,
	} {
		before := h.up.count()
		m := h.rpc(sid, i+1, "tools/call", params)
		if m.Error == nil || m.Error.Code != codePolicyDenied || !strings.Contains(m.Error.Message, "policy rule echo-elsewhere") {
			t.Errorf("%s: got %+v %s, want a refusal by echo-elsewhere", params, m.Error, m.Result)
		}
		if h.up.count() != before {
			t.Errorf("%s: refused, yet forwarded upstream", params)
		}
	}
	// The exact member still decides, both ways.
	before := h.up.count()
	m := h.rpc(sid, 9, "tools/call", `{"name":"echo","ARGUMENTS":{"path":"/etc/passwd"},"arguments":{"path":"/tmp/x"}}`)
	if m.Error != nil || h.up.count() != before+1 {
		t.Errorf("exact arguments under /tmp: got %+v, want allowed and forwarded", m.Error)
	}
}
