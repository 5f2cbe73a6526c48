package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
)

func TestSurfaceChoice(t *testing.T) {
	g := &Gateway{cfg: Config{Surface: SurfaceFull, SurfaceByApplication: map[string]string{"cursor": SurfaceDiscovery, "vscode": SurfaceFull}}}
	plain := auth.Identity{KeyID: "k1"}
	cursor := auth.Identity{KeyID: "k2", Application: "cursor"}
	vscode := auth.Identity{KeyID: "k3", Application: "vscode"}
	ownFull := auth.Identity{KeyID: "k4", Application: "cursor", Surface: SurfaceFull}
	ownDisco := auth.Identity{KeyID: "k5", Surface: SurfaceDiscovery}
	for _, tc := range []struct {
		name  string
		ep    Endpoint
		id    auth.Identity
		query string
		want  string
	}{
		{"the hub's", Endpoint{}, plain, "", SurfaceFull},
		{"the application's", Endpoint{}, cursor, "", SurfaceDiscovery},
		{"the key's before its application's", Endpoint{}, ownFull, "", SurfaceFull},
		{"the key's", Endpoint{}, ownDisco, "", SurfaceDiscovery},
		{"the URL's before the key's", Endpoint{}, ownDisco, "surface=full", SurfaceFull},
		{"the URL's before the application's", Endpoint{}, cursor, "surface=full", SurfaceFull},
		{"the URL's", Endpoint{}, plain, "x=1&surface=discovery", SurfaceDiscovery},
		{"the endpoint's", Endpoint{Surface: SurfaceDiscovery}, plain, "", SurfaceDiscovery},
		{"the application's before the endpoint's", Endpoint{Surface: SurfaceDiscovery}, vscode, "", SurfaceFull},
		{"the key's before the endpoint's", Endpoint{Surface: SurfaceDiscovery}, ownFull, "", SurfaceFull},
	} {
		r := httptest.NewRequest(http.MethodPost, "/mcp?"+tc.query, nil)
		if got, bad := g.surfaceOf(tc.ep, tc.id, r); got != tc.want || bad != "" {
			t.Errorf("%s: got %q %q, want %q", tc.name, got, bad, tc.want)
		}
	}
	for _, q := range []string{"surface=", "surface=everything", "surface=full&surface=discovery"} {
		r := httptest.NewRequest(http.MethodPost, "/mcp?"+q, nil)
		if got, bad := g.surfaceOf(Endpoint{}, plain, r); got != "" || !strings.Contains(bad, "surface") {
			t.Errorf("?%s: got %q %q, want a refusal naming the surface", q, got, bad)
		}
	}
	if got, _ := (&Gateway{}).surfaceOf(Endpoint{}, plain, httptest.NewRequest(http.MethodPost, "/mcp", nil)); got != SurfaceFull {
		t.Errorf("zero config: %q, want full", got)
	}
}

func TestInnerCall(t *testing.T) {
	for _, tc := range []struct {
		params, want, refusal string
	}{
		{`{"name":"call_tool","arguments":{"name":"echo","arguments":{"path":"/tmp"}},"_meta":{"progressToken":1}}`,
			`{"_meta":{"progressToken":1},"arguments":{"path":"/tmp"},"name":"echo"}`, ""},
		{`{"name":"call_tool","arguments":{"name":"echo"}}`, `{"name":"echo"}`, ""},
		{`{"name":"call_tool","arguments":{"name":"echo","arguments":null}}`, `{"name":"echo"}`, ""},
		{`{"name":"call_tool","arguments":{"name":"echo"},"requestState":"s","inputResponses":{"a":{}}}`,
			`{"inputResponses":{"a":{}},"name":"echo","requestState":"s"}`, ""},
		{`{"name":"call_tool"}`, "", "needs arguments"},
		{`{"name":"call_tool","arguments":[1]}`, "", "needs arguments"},
		{`{"name":"call_tool","arguments":{}}`, "", "name must be"},
		{`{"name":"call_tool","arguments":{"name":7}}`, "", "name must be"},
		{`{"name":"call_tool","arguments":{"name":"echo","arguments":"x"}}`, "", "arguments must be an object"},
	} {
		got, msg := innerCall(json.RawMessage(tc.params))
		if tc.refusal != "" {
			if !strings.Contains(msg, tc.refusal) {
				t.Errorf("%s: refusal %q, want %q", tc.params, msg, tc.refusal)
			}
			continue
		}
		if msg != "" || string(got) != tc.want {
			t.Errorf("%s: got %s %q, want %s", tc.params, got, msg, tc.want)
		}
	}
}

func atDiscovery(r *http.Request) { r.URL.RawQuery = "surface=discovery" }

// surfaceHits calls search_tools and returns the names it lists.
func surfaceHits(t *testing.T, h *harness, sid string, args string, mods ...func(*http.Request)) []string {
	t.Helper()
	m := rpcAs(h, sid, 7, "tools/call", `{"name":"search_tools","arguments":`+args+`}`, mods...)
	var res struct {
		IsError bool
		Content []struct{ Text string }
	}
	if m.Error != nil || json.Unmarshal(m.Result, &res) != nil || res.IsError || len(res.Content) != 1 {
		t.Fatalf("search_tools %s: %+v %s", args, m.Error, m.Result)
	}
	var names []string
	lines := strings.Split(strings.TrimSpace(res.Content[0].Text), "\n")
	for _, l := range lines[1:] {
		names = append(names, strings.Fields(l)[0])
	}
	return names
}

// TestSurfaceCallIsDirectCall: every case of the policy table gives the same answer, and
// forwards the same request upstream, through call_tool as directly.
func TestSurfaceCallIsDirectCall(t *testing.T) {
	h := policyHarness(t, testPolicy)
	direct := h.initialize("2025-11-25", "")
	surface := h.initialize("2025-11-25", "", atDiscovery)
	if got := listedTools(h, surface, atDiscovery); !slices.Equal(got, []string{"search_tools", "describe_tool", "call_tool"}) {
		t.Fatalf("the discovery surface lists %v", got)
	}
	for i, c := range []struct{ name, args string }{
		{"fail", `{}`}, {"util__fail", `{}`}, {"laptop__fs__wipe", `{}`}, {"echo", `{"path":"/etc/passwd"}`},
		{"echo", `{"path":"/tmp/x"}`}, {"util__echo", `{"path":"/tmp/y"}`}, {"laptop__fs__read", `{}`}, {"nope", `{}`},
	} {
		before := h.up.count()
		d := h.rpc(direct, i*2+1, "tools/call", `{"name":"`+c.name+`","arguments":`+c.args+`}`)
		forwarded := h.up.count() - before
		var dUp upCall
		if forwarded == 1 {
			dUp = h.up.last()
		}
		s := rpcAs(h, surface, i*2+2, "tools/call", `{"name":"call_tool","arguments":{"name":"`+c.name+`","arguments":`+c.args+`}}`, atDiscovery)
		if h.up.count()-before != 2*forwarded {
			t.Errorf("%s %s: forwarded %d times directly and %d through the surface", c.name, c.args, forwarded, h.up.count()-before-forwarded)
		}
		if (d.Error == nil) != (s.Error == nil) || d.Error != nil && (d.Error.Code != s.Error.Code || d.Error.Message != s.Error.Message || string(d.Error.Data) != string(s.Error.Data)) {
			t.Errorf("%s %s: direct %+v, surface %+v", c.name, c.args, d.Error, s.Error)
		}
		if forwarded == 1 {
			if sUp := h.up.last(); sUp.Target != dUp.Target || !sameJSON(sUp.Params, dUp.Params) {
				t.Errorf("%s: upstream got %v %s through the surface, %v %s directly", c.name, sUp.Target, sUp.Params, dUp.Target, dUp.Params)
			}
		}
	}
	// A tool the policy denies whole (fail, for alice's role) is not found, nor described.
	for _, q := range []string{`{"query":"fail"}`, `{"query":"","limit":50}`} {
		if hits := surfaceHits(t, h, surface, q, atDiscovery); slices.Contains(hits, "fail") || len(hits) == 0 && q != `{"query":"fail"}` {
			t.Errorf("search %s: %v", q, hits)
		}
	}
	m := rpcAs(h, surface, 90, "tools/call", `{"name":"describe_tool","arguments":{"name":"fail"}}`, atDiscovery)
	if !strings.Contains(string(m.Result), `"isError":true`) || !strings.Contains(string(m.Result), "unknown tool") {
		t.Errorf("describe_tool fail: %s", m.Result)
	}
	// A direct call by name works on the discovery surface too.
	m = rpcAs(h, surface, 91, "tools/call", `{"name":"laptop__fs__read","arguments":{}}`, atDiscovery)
	if m.Error != nil {
		t.Errorf("a direct call on the discovery surface: %+v", m.Error)
	}
}

func TestSearchToolArguments(t *testing.T) {
	h := policyHarness(t, testPolicy)
	sid := h.initialize("2025-11-25", "", atDiscovery)
	for _, tc := range []struct{ args, want string }{
		{`{"query":"x","limit":0}`, "limit 0 is out of range"},
		{`{"query":"x","limit":51}`, "limit 51 is out of range"},
		{`{"query":"x","kind":"everything"}`, `kind "everything"`},
		{`{"query":"x","risk":["scary"]}`, `unknown risk class "scary"`},
		{`{"query":"x","risk":7}`, "risk must be"},
		{`[1,2]`, "arguments must be an object"},
	} {
		m := rpcAs(h, sid, 3, "tools/call", `{"name":"search_tools","arguments":`+tc.args+`}`, atDiscovery)
		var res struct {
			IsError bool
			Content []struct{ Text string }
		}
		_ = json.Unmarshal(m.Result, &res)
		if m.Error != nil || !res.IsError || len(res.Content) != 1 || !strings.Contains(res.Content[0].Text, tc.want) {
			t.Errorf("%s: %+v %s, want an error result saying %q", tc.args, m.Error, m.Result, tc.want)
		}
	}
	if hits := surfaceHits(t, h, sid, `{"query":"","risk":"destructive"}`, atDiscovery); len(hits) != 0 {
		t.Errorf("destructive tools are denied whole, yet found: %v", hits)
	}
	if hits := surfaceHits(t, h, sid, `{"query":"read","agent":"laptop"}`, atDiscovery); !slices.Equal(hits, []string{"read"}) { // naming mode auto
		t.Errorf("agent filter: %v", hits)
	}
	if hits := surfaceHits(t, h, sid, `{"query":"greet","kind":"prompt"}`, atDiscovery); !slices.Equal(hits, []string{"greet"}) {
		t.Errorf("prompt search: %v", hits)
	}
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// FuzzInnerCall: call_tool's params, as a client sends them, become a call's params or a
// refusal, never a panic; what they become is an object naming a non-empty tool.
func FuzzInnerCall(f *testing.F) {
	for _, s := range []string{
		`{"name":"call_tool","arguments":{"name":"echo","arguments":{"a":1}},"_meta":{}}`,
		`{"name":"call_tool","arguments":{"name":""}}`, `{"arguments":null}`, `[]`, `{"arguments":{"name":"x","arguments":[1]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, params []byte) {
		out, msg := innerCall(params)
		if msg != "" {
			return
		}
		var p struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(out, &p) != nil || p.Name == "" {
			t.Fatalf("%s became %s", params, out)
		}
	})
}
