package gateway

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
)

// sdkAt connects the real go-sdk client to a path of the harness: "sse" over the HTTP+SSE
// transport, "2026-07-28" stateless, else a session-based Streamable HTTP version.
func sdkAt(t *testing.T, h *harness, path, era string) *mcp.ClientSession {
	t.Helper()
	// The connection lives in ctx (the SSE stream is its GET): it ends with the test.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hc, _ := h.sdkHTTPClient()
	client := mcp.NewClient(&mcp.Implementation{Name: "group-surface-test", Version: "1"}, nil)
	var tr mcp.Transport = &mcp.StreamableClientTransport{Endpoint: h.url + path, HTTPClient: hc}
	var opts *mcp.ClientSessionOptions
	switch era {
	case "sse":
		tr = &mcp.SSEClientTransport{Endpoint: h.url + path, HTTPClient: hc}
	case "2026-07-28":
	default:
		opts = &mcp.ClientSessionOptions{ProtocolVersion: era}
	}
	cs, err := client.Connect(ctx, tr, opts)
	if err != nil {
		t.Fatalf("connect %s (%s): %v", path, era, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func sdkTools(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		names = append(names, tool.Name)
	}
	return names
}

// sdkCall calls a tool and returns its text, or the refusal's message.
func sdkCall(cs *mcp.ClientSession, name string, args map[string]any) (text string, refused bool) {
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		return err.Error(), true
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError
}

// TestGroupSurface: a group whose surface is "discovery" serves search_tools, describe_tool
// and call_tool over its own tools only, to the go-sdk client in the session era, the
// stateless era and over HTTP+SSE: no search shows a tool outside the group, describe and
// call of one are refused as for an unknown tool. A URL's ?surface=full still wins, and a
// group without a surface of its own serves the hub's.
func TestGroupSurface(t *testing.T) {
	h := newHarness(t, Config{})
	h.router.Set("laptop", append(laptopBackends("read", "write"), hubBackends()[0]))
	var gs []*Group
	for _, s := range []GroupSpec{
		{Name: "fs", Agents: []string{"laptop"}, Surface: SurfaceDiscovery},
		{Name: "util", Tools: []string{"util__e*"}},
	} {
		g, err := CompileGroup(s)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	h.gw.SetGroups(gs)
	if _, err := CompileGroup(GroupSpec{Name: "x", Agents: []string{"a"}, Surface: "everything"}); err == nil ||
		!strings.Contains(err.Error(), "everything") {
		t.Errorf("a bad surface: %v", err)
	}

	inGroup := func(n string) bool { return strings.HasPrefix(n, "laptop__") }
	for _, era := range []struct{ name, path string }{
		{"2025-11-25", "/mcp/fs"}, {"2026-07-28", "/mcp/fs"}, {"sse", "/sse/fs"},
	} {
		cs := sdkAt(t, h, era.path, era.name)
		if got := sdkTools(t, cs); !slices.Equal(got, []string{toolSearch, toolDescribe, toolCall}) {
			t.Errorf("%s: tools/list %v, want the discovery surface", era.name, got)
		}
		// Words that match tools on both sides of the group's edge.
		for _, q := range []string{"echo", "slow progress sample fail", "read write", "util echo"} {
			text, refused := sdkCall(cs, toolSearch, map[string]any{"query": q, "limit": searchMax})
			if refused {
				t.Fatalf("%s: search %q: %s", era.name, q, text)
			}
			hits := hitLines(text)
			if len(hits) == 0 || slices.ContainsFunc(hits, func(n string) bool { return !inGroup(n) }) {
				t.Errorf("%s: search %q found %v: want only the group's tools", era.name, q, hits)
			}
		}
		if text, _ := sdkCall(cs, toolSearch, map[string]any{"query": "echo", "agent": ""}); !strings.Contains(text, "laptop__util__echo") {
			t.Errorf("%s: search echo: %s", era.name, text)
		}
		if text, _ := sdkCall(cs, toolSearch, map[string]any{"query": "greet", "kind": "prompt"}); !strings.Contains(text, "laptop__util__greet") || strings.Contains(text, "\nutil__greet") {
			t.Errorf("%s: prompt search: %s", era.name, text)
		}
		if text, refused := sdkCall(cs, toolDescribe, map[string]any{"name": "util__echo"}); !refused || !strings.Contains(text, "unknown tool") {
			t.Errorf("%s: describe util__echo outside the group: %v %s", era.name, refused, text)
		}
		if text, refused := sdkCall(cs, toolDescribe, map[string]any{"name": "laptop__util__echo"}); refused || !strings.Contains(text, `"laptop"`) {
			t.Errorf("%s: describe laptop__util__echo: %v %s", era.name, refused, text)
		}
		// A call outside the group, through call_tool or directly, is refused as a call of a
		// tool that does not exist.
		outside, refused := sdkCall(cs, toolCall, map[string]any{"name": "util__echo", "arguments": map[string]any{}})
		none, _ := sdkCall(cs, toolCall, map[string]any{"name": "nope__x", "arguments": map[string]any{}})
		if !refused || !strings.Contains(outside, `unknown tool "util__echo"`) || outside != strings.ReplaceAll(none, "nope__x", "util__echo") {
			t.Errorf("%s: call_tool util__echo outside the group: %v %q (an unknown tool: %q)", era.name, refused, outside, none)
		}
		if text, refused := sdkCall(cs, "util__echo", map[string]any{}); !refused || !strings.Contains(text, "unknown tool") {
			t.Errorf("%s: direct call of util__echo outside the group: %v %s", era.name, refused, text)
		}
		if text, refused := sdkCall(cs, toolCall, map[string]any{"name": "laptop__util__echo", "arguments": map[string]any{"x": 1}}); refused || !strings.Contains(text, `"echo"`) {
			t.Errorf("%s: call_tool laptop__util__echo: %v %s", era.name, refused, text)
		}
	}

	// The URL chooses before the group; a group without a surface serves the hub's.
	if got := sdkTools(t, sdkAt(t, h, "/mcp/fs?surface=full", "2025-11-25")); len(got) < 5 || !slices.ContainsFunc(got, inGroup) ||
		slices.ContainsFunc(got, func(n string) bool { return !inGroup(n) }) {
		t.Errorf("/mcp/fs?surface=full lists %v", got)
	}
	if got := sdkTools(t, sdkAt(t, h, "/mcp/util", "2025-11-25")); !slices.Equal(got, []string{"util__echo"}) {
		t.Errorf("/mcp/util lists %v", got)
	}
	if got := sdkTools(t, sdkAt(t, h, "/mcp/util?surface=discovery", "2025-11-25")); !slices.Equal(got, []string{toolSearch, toolDescribe, toolCall}) {
		t.Errorf("/mcp/util?surface=discovery lists %v", got)
	}
	if got := sdkTools(t, sdkAt(t, h, "/mcp", "2025-11-25")); !slices.Contains(got, "util__slow") {
		t.Errorf("/mcp lists %v", got)
	}
	// A bad ?surface= at a group is refused as at /mcp.
	httpStatus(t, h.post("", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, withPath("/mcp/fs"), func(r *http.Request) { r.URL.RawQuery = "surface=x" }),
		http.StatusBadRequest, codeInvalidRequest)
}

// hitLines reads the names of a search_tools answer.
func hitLines(answer string) []string {
	var names []string
	lines := strings.Split(strings.TrimSpace(answer), "\n")
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names
}

// TestGroupSSE: the HTTP+SSE transport of a group, /sse/<group>, names /messages/<group>
// and serves the group's tools only; a session's messages are taken at that endpoint only;
// list_changed reaches a group's SSE sessions only for the group's own tools; a key limited
// to a group reaches its /sse/<group> and no other.
func TestGroupSSE(t *testing.T) {
	h := groupHarness(t)
	h.router.Set("laptop", append(laptopBackends("read", "write"), hubBackends()[0]))

	cs := sdkAt(t, h, "/sse/util", "sse")
	if got := sdkTools(t, cs); !slices.Equal(got, []string{"util__echo"}) {
		t.Errorf("/sse/util lists %v", got)
	}
	if text, refused := sdkCall(cs, "util__echo", map[string]any{"x": 1}); refused || !strings.Contains(text, `"echo"`) {
		t.Errorf("util__echo over /sse/util: %v %s", refused, text)
	}
	if text, refused := sdkCall(cs, "laptop__fs__read", nil); !refused || !strings.Contains(text, "unknown tool") {
		t.Errorf("laptop__fs__read outside group util over SSE: %v %s", refused, text)
	}
	if got := sdkTools(t, sdkAt(t, h, "/sse/fs", "sse")); len(got) < 5 || slices.ContainsFunc(got, func(n string) bool { return !strings.HasPrefix(n, "laptop__") }) {
		t.Errorf("/sse/fs lists %v", got)
	}

	// The raw stream: its endpoint, and messages refused elsewhere.
	open := func(path string, mods ...func(*http.Request)) (string, *events) {
		t.Helper()
		r := h.request(http.MethodGet, path, "")
		r.Header.Set("Accept", "text/event-stream")
		for _, m := range mods {
			m(r)
		}
		resp := h.do(r)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		ev := newEvents(resp.Body)
		e, ok := ev.next(t, 5*time.Second)
		if !ok || e.name != "endpoint" {
			t.Fatalf("GET %s: first event %+v", path, e)
		}
		return e.data, ev
	}
	fsEnd, fsS := open("/sse/fs")
	utilEnd, utilS := open("/sse/util")
	if !strings.HasPrefix(fsEnd, "/messages/fs?sessionId=") || !strings.HasPrefix(utilEnd, "/messages/util?sessionId=") {
		t.Fatalf("endpoints %q %q", fsEnd, utilEnd)
	}
	sid := strings.TrimPrefix(fsEnd, "/messages/fs?sessionId=")
	ping := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	for _, p := range []string{"/messages", "/messages/util", "/messages/nosuch"} {
		resp := h.do(h.request(http.MethodPost, p+"?sessionId="+sid, ping))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s with a session of /sse/fs: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp := h.do(h.request(http.MethodPost, fsEnd, ping)); resp.StatusCode != http.StatusAccepted {
		t.Errorf("POST %s: %d", fsEnd, resp.StatusCode)
	}
	if m := fsS.nextMsg(t); m.Error != nil || string(m.Result) != "{}" {
		t.Errorf("ping over /sse/fs: %+v", m)
	}
	if resp := h.do(h.request(http.MethodGet, "/sse/nosuch", "")); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /sse/nosuch: %d", resp.StatusCode)
	}

	// The hub's util__echo changes: group util's stream hears of it, group fs's does not.
	b := hubBackends()
	b[0].Tools[0] = []byte(`{"name":"echo","description":"changed","inputSchema":{"type":"object"}}`)
	h.router.Set("", b)
	if m := utilS.nextMsg(t); m.Method != "notifications/tools/list_changed" {
		t.Errorf("/sse/util got %+v", m)
	}
	noEvent(t, fsS, 300*time.Millisecond) // pushed in the same pass as util's, which arrived

	// A key limited to group fs.
	key := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+groupKeyFS) }
	limEnd, _ := open("/sse/fs", key)
	resp := h.do(h.request(http.MethodPost, limEnd, ping))
	if resp.StatusCode != http.StatusNotFound { // another caller's session: unknown
		t.Errorf("alice's key at the limited key's session: %d", resp.StatusCode)
	}
	r := h.request(http.MethodPost, limEnd, ping)
	key(r)
	if resp := h.do(r); resp.StatusCode != http.StatusAccepted {
		t.Errorf("the limited key at its session: %d", resp.StatusCode)
	}
	for _, p := range []string{"/sse/util", "/sse"} {
		r := h.request(http.MethodGet, p, "")
		key(r)
		httpStatus(t, h.do(r), http.StatusForbidden, codeUnauthorized)
	}
}

// TestGroupSurfacePolicyAndAudit: inside a group served as the discovery surface, a call
// through call_tool is refused by a policy rule exactly as the same call made directly at
// the group's endpoint (code, message, data), forwards the same request when allowed, and
// is audited under the real tool's name with the group, never as call_tool.
func TestGroupSurfacePolicyAndAudit(t *testing.T) {
	h, _, a := governedHarness(t)
	p, err := policy.Parse([]byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	h.gw.SetPolicy(p)
	g, err := CompileGroup(GroupSpec{Name: "hubg", Backends: []string{"util"}, Surface: SurfaceDiscovery})
	if err != nil {
		t.Fatal(err)
	}
	h.gw.SetGroups([]*Group{g})
	full := func(r *http.Request) { r.URL.Path, r.URL.RawQuery = "/mcp/hubg", "surface=full" }
	surface := h.initialize("2025-11-25", "", withPath("/mcp/hubg"))
	direct := h.initialize("2025-11-25", "", full)
	if got := listedTools(h, surface, withPath("/mcp/hubg")); !slices.Equal(got, []string{toolSearch, toolDescribe, toolCall}) {
		t.Fatalf("/mcp/hubg lists %v", got)
	}
	for i, c := range []struct {
		name, args string
		rule       string // the rule that refuses it, "" if allowed
	}{
		{"echo", `{"path":"/etc/passwd"}`, "echo-elsewhere"},
		{"util__echo", `{"path":"/etc/passwd"}`, "echo-elsewhere"},
		{"echo", `{"path":"/tmp/x"}`, ""},
		{"fail", `{}`, "no-fail-for-admins"},
	} {
		before := h.up.count()
		d := rpcAs(h, direct, i*2+1, "tools/call", `{"name":"`+c.name+`","arguments":`+c.args+`}`, full)
		dEv := a.last(t)
		forwarded := h.up.count() - before
		s := rpcAs(h, surface, i*2+2, "tools/call", `{"name":"call_tool","arguments":{"name":"`+c.name+`","arguments":`+c.args+`}}`, withPath("/mcp/hubg"))
		sEv := a.last(t)
		if (c.rule == "") != (d.Error == nil) || (c.rule != "" && (d.Error.Code != codePolicyDenied || !strings.Contains(string(d.Error.Data), c.rule))) {
			t.Errorf("%s %s directly: %+v, want rule %q", c.name, c.args, d.Error, c.rule)
		}
		if (d.Error == nil) != (s.Error == nil) || d.Error != nil && (d.Error.Code != s.Error.Code || d.Error.Message != s.Error.Message || string(d.Error.Data) != string(s.Error.Data)) {
			t.Errorf("%s %s: direct %+v, through call_tool %+v", c.name, c.args, d.Error, s.Error)
		}
		if h.up.count()-before != 2*forwarded {
			t.Errorf("%s %s: forwarded %d times directly, %d through call_tool", c.name, c.args, forwarded, h.up.count()-before-forwarded)
		}
		if sEv.Tool != c.name || sEv.Tool != dEv.Tool || sEv.Rule != dEv.Rule || sEv.Rule != c.rule && c.rule != "" ||
			sEv.Decision != dEv.Decision || sEv.Kind != dEv.Kind || sEv.Status != dEv.Status ||
			sEv.Detail != `{"group":"hubg"}` || dEv.Detail != sEv.Detail {
			t.Errorf("%s %s: audited through call_tool as %+v, directly as %+v", c.name, c.args, sEv, dEv)
		}
	}
}

// TestGroupRiskOverrideListChanged: a risk override that moves a tool out of a group that
// selects by risk notifies that group's sessions, and neither another group's nor /mcp's.
func TestGroupRiskOverrideListChanged(t *testing.T) {
	h, reg, _ := governedHarness(t)
	var gs []*Group
	for _, s := range []GroupSpec{{Name: "readers", Risks: []string{"read"}}, {Name: "laptop", Agents: []string{"laptop"}}} {
		g, err := CompileGroup(s)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	h.gw.SetGroups(gs)
	readers := h.initialize("2025-11-25", "", withPath("/mcp/readers"))
	laptop := h.initialize("2025-11-25", "", withPath("/mcp/laptop"))
	root := h.initialize("2025-11-25", "")
	readersS, laptopS, rootS := h.openStreamAt("/mcp/readers", readers), h.openStreamAt("/mcp/laptop", laptop), h.openStream(root)
	if got := listedTools(h, readers, withPath("/mcp/readers")); !slices.Contains(got, "echo") {
		t.Fatalf("readers lists %v before the override, without echo", got)
	}

	if _, err := reg.SetRisk(context.Background(), "echo", "write"); err != nil {
		t.Fatal(err)
	}
	h.gw.ToolStatesChanged()
	if m := readersS.nextMsg(t); m.Method != "notifications/tools/list_changed" {
		t.Errorf("readers got %+v", m)
	}
	if got := listedTools(h, readers, withPath("/mcp/readers")); slices.Contains(got, "echo") {
		t.Errorf("readers lists %v after echo became a write tool", got)
	}
	// Pushed in the same pass as readers' notification, which arrived.
	noEvent(t, laptopS, 300*time.Millisecond)
	noEvent(t, rootS, 300*time.Millisecond)

	// A state write that moves nothing notifies nobody.
	h.gw.ToolStatesChanged()
	noEvent(t, readersS, 300*time.Millisecond)
}
