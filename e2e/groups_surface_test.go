package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestGroupSurfaceAndSSE: a tool group served as the discovery surface, and tool groups over
// the HTTP+SSE transport (/sse/<group>), with a real hub, a real agent running the npm
// servers, the go-sdk client (2025 session era, 2026-07-28 stateless, HTTP+SSE) and the
// TypeScript SDK's SSEClientTransport:
//
//   - group "laptop" (agent laptop's tools) is switched to the discovery surface with
//     PATCH /groups/laptop: every client at /mcp/laptop or /sse/laptop lists search_tools,
//     describe_tool and call_tool; no search, whatever its words, returns a tool outside
//     the group; describe and call of a tool outside it are refused as for an unknown tool;
//     a call inside it works;
//   - group "hubtools" (the hub's everything__* tools, full surface) over /sse/hubtools lists
//     only its tools and refuses a call outside them;
//   - a risk override that moves everything__echo out of a group that selects by risk sends
//     list_changed to that group's session client (TypeScript SDK), not to group
//     hubtools' (by glob, the tool stays in it);
//   - list_changed over HTTP+SSE reaches only the group whose tools changed (the agent
//     stops: /sse/laptop hears of it, /sse/hubtools does not);
//   - a key limited to group hubtools reaches /sse/hubtools and neither /sse/laptop nor /sse.
func TestGroupSurfaceAndSSE(t *testing.T) {
	m := startMesh(t)
	ctx := ctxFor(t, 4*time.Minute)
	owner := m.hub.OwnerKey
	for name, body := range map[string]map[string]any{
		"laptop":   {"agents": []string{"laptop"}},
		"hubtools": {"tools": []string{"everything__*"}},
	} {
		if st := restCall(t, m.hub, owner, "POST", "/groups/"+name, body, nil); st != http.StatusCreated {
			t.Fatalf("create group %s: %d", name, st)
		}
	}
	var patched struct {
		Surface string   `json:"surface"`
		Agents  []string `json:"agents"`
	}
	if st := restCall(t, m.hub, owner, "PATCH", "/groups/laptop", map[string]any{"surface": "discovery"}, &patched); st != http.StatusOK ||
		patched.Surface != "discovery" || !slices.Equal(patched.Agents, []string{"laptop"}) {
		t.Fatalf("PATCH /groups/laptop surface: %d %+v", st, patched)
	}

	// A client of either SDK, seen the same way: list, and call a tool.
	type client struct {
		name string
		list func() []string
		call func(tool string, args string) (refused bool, text string)
	}
	goSDK := func(era, path, key string) client {
		t.Helper()
		var tr mcp.Transport = &mcp.StreamableClientTransport{Endpoint: m.hub.URL + path, HTTPClient: authClient(key)}
		var opts *mcp.ClientSessionOptions
		switch era {
		case "sse":
			tr = &mcp.SSEClientTransport{Endpoint: m.hub.URL + path, HTTPClient: authClient(key)}
		case "2026-07-28":
		default:
			opts = &mcp.ClientSessionOptions{ProtocolVersion: era}
		}
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e-group-surface", Version: "1"}, nil).Connect(ctx, tr, opts)
		if err != nil {
			t.Fatalf("go-sdk %s at %s: %v", era, path, err)
		}
		t.Cleanup(func() { cs.Close() })
		return client{name: "go-sdk " + era + " at " + path,
			list: func() []string {
				var names []string
				for tool, err := range cs.Tools(ctx, nil) {
					if err != nil {
						t.Fatalf("tools/list at %s: %v", path, err)
					}
					names = append(names, tool.Name)
				}
				return names
			},
			call: func(tool, args string) (bool, string) {
				var a map[string]any
				if err := json.Unmarshal([]byte(args), &a); err != nil {
					t.Fatal(err)
				}
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: a})
				if err != nil {
					return true, err.Error()
				}
				return res.IsError, text(res.Content)
			}}
	}
	node := nodeBin(t)
	script := filepath.Join(repoRoot(t), "e2e", "ts", "listchanged.mjs")
	watchers := map[string]*tsWatcher{}
	tsSSE := func(path string) client {
		t.Helper()
		w := startTSWatcher(t, node, script, "sse", m.hub.URL, owner, path)
		if ready := w.next(t, 60*time.Second); ready.Event != "ready" {
			t.Fatalf("ts sse at %s: %+v", path, ready)
		}
		watchers[path] = w
		return client{name: "ts sse at " + path,
			list: func() []string {
				r := w.do(t, "list")
				if r.Event != "list" {
					t.Fatalf("ts list at %s: %+v", path, r)
				}
				return r.Names
			},
			call: func(tool, args string) (bool, string) {
				r := w.do(t, "call "+tool+" "+args)
				if r.Event == "error" {
					return true, r.Error
				}
				return r.IsError, r.Text
			}}
	}

	// Group laptop as the discovery surface, through every transport and era.
	surface := []string{"search_tools", "describe_tool", "call_tool"}
	inLaptop := func(n string) bool { return strings.HasPrefix(n, "laptop__") }
	for _, c := range []client{
		goSDK("2025-11-25", "/mcp/laptop", owner), goSDK("2026-07-28", "/mcp/laptop", owner),
		goSDK("sse", "/sse/laptop", owner), tsSSE("/sse/laptop"),
	} {
		if got := c.list(); !slices.Equal(got, surface) {
			t.Errorf("%s lists %v, want the discovery surface", c.name, got)
		}
		// Words that the hub's own everything__* tools match as well as the laptop's.
		for _, q := range []string{"echo", "add two numbers", "print environment variables", "read a file", "long running operation with progress", "everything"} {
			refused, answer := c.call("search_tools", `{"query":"`+q+`","limit":50}`)
			hits := hitNames(answer)
			if refused || len(hits) == 0 || slices.ContainsFunc(hits, func(n string) bool { return !inLaptop(n) }) {
				t.Errorf("%s: search %q: refused %v, found %v: want only group laptop's tools", c.name, q, refused, hits)
			}
		}
		if refused, answer := c.call("search_tools", `{"query":"echo","backend":"everything","limit":50}`); refused || !slices.Contains(hitNames(answer), "laptop__everything__echo") ||
			slices.Contains(hitNames(answer), "everything__echo") {
			t.Errorf("%s: search echo in backend everything: %v %s", c.name, refused, answer)
		}
		if refused, answer := c.call("describe_tool", `{"name":"everything__echo"}`); !refused || !strings.Contains(answer, "unknown tool") {
			t.Errorf("%s: describe everything__echo, outside the group: %v %s", c.name, refused, answer)
		}
		if refused, answer := c.call("call_tool", `{"name":"everything__echo","arguments":{"message":"hi"}}`); !refused || !strings.Contains(answer, `unknown tool "everything__echo"`) {
			t.Errorf("%s: call_tool everything__echo, outside the group: %v %s", c.name, refused, answer)
		}
		if refused, answer := c.call("everything__echo", `{"message":"hi"}`); !refused || !strings.Contains(answer, "unknown tool") {
			t.Errorf("%s: direct call of everything__echo, outside the group: %v %s", c.name, refused, answer)
		}
		if refused, answer := c.call("call_tool", `{"name":"laptop__everything__echo","arguments":{"message":"hi from the group"}}`); refused || !strings.Contains(answer, "hi from the group") {
			t.Errorf("%s: call_tool laptop__everything__echo: %v %s", c.name, refused, answer)
		}
	}

	// Group hubtools over HTTP+SSE, full surface.
	inHub := func(n string) bool { return strings.HasPrefix(n, "everything__") }
	for _, c := range []client{goSDK("sse", "/sse/hubtools", owner), tsSSE("/sse/hubtools")} {
		if got := c.list(); len(got) < 5 || slices.ContainsFunc(got, func(n string) bool { return !inHub(n) }) {
			t.Errorf("%s lists %v", c.name, got)
		}
		if refused, answer := c.call("everything__echo", `{"message":"hi"}`); refused || !strings.Contains(answer, "hi") {
			t.Errorf("%s: everything__echo: %v %s", c.name, refused, answer)
		}
		if refused, answer := c.call("laptop__everything__echo", `{"message":"hi"}`); !refused || !strings.Contains(answer, "unknown tool") {
			t.Errorf("%s: laptop__everything__echo, outside the group: %v %s", c.name, refused, answer)
		}
	}

	// A key limited to group hubtools.
	var key struct {
		Key string `json:"key"`
	}
	if st := restCall(t, m.hub, owner, "POST", "/api-keys", map[string]any{"name": "hubtools-only", "groups": []string{"hubtools"}}, &key); st != http.StatusCreated {
		t.Fatalf("create a key limited to hubtools: %d", st)
	}
	if got := goSDK("sse", "/sse/hubtools", key.Key).list(); len(got) < 5 || slices.ContainsFunc(got, func(n string) bool { return !inHub(n) }) {
		t.Errorf("the limited key at /sse/hubtools lists %v", got)
	}
	for _, p := range []string{"/sse/laptop", "/sse"} {
		_, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil).Connect(ctx,
			&mcp.SSEClientTransport{Endpoint: m.hub.URL + p, HTTPClient: authClient(key.Key)}, nil)
		if err == nil {
			t.Errorf("the key limited to hubtools reached %s", p)
		}
	}

	// A risk override moves everything__echo out of a group that selects by risk: that
	// group's session client hears list_changed; group hubtools' (by glob: the tool stays
	// in it) hears nothing.
	var echo struct {
		Risk string `json:"risk"`
	}
	if st := restCall(t, m.hub, owner, "GET", "/tools/everything__echo", nil, &echo); st != http.StatusOK || echo.Risk == "" {
		t.Fatalf("GET /tools/everything__echo: %d %+v", st, echo)
	}
	if st := restCall(t, m.hub, owner, "POST", "/groups/byrisk", map[string]any{"risks": []string{echo.Risk}}, nil); st != http.StatusCreated {
		t.Fatalf("create group byrisk: %d", st)
	}
	// TypeScript SDK session clients: ready once their GET stream (where list_changed
	// arrives) is open.
	risky := map[string]*tsWatcher{}
	for _, group := range []string{"byrisk", "hubtools"} {
		w := startTSWatcher(t, node, script, "streamable", m.hub.URL, owner, "/mcp/"+group)
		if ready := w.next(t, 60*time.Second); ready.Event != "ready" || !slices.Contains(ready.Names, "everything__echo") {
			t.Fatalf("ts at /mcp/%s: %+v", group, ready)
		}
		risky[group] = w
	}
	other := "destructive"
	if echo.Risk == other {
		other = "read"
	}
	if st := restCall(t, m.hub, owner, "PATCH", "/tools/everything__echo", map[string]any{"risk": other}, nil); st != http.StatusOK {
		t.Fatalf("risk override of everything__echo: %d", st)
	}
	waitFor(t, 60*time.Second, "list_changed at /mcp/byrisk after the risk override", func() bool { return risky["byrisk"].listChanged.Load() > 0 })
	if r := risky["byrisk"].do(t, "list"); r.Event != "list" || slices.Contains(r.Names, "everything__echo") {
		t.Errorf("/mcp/byrisk after everything__echo became %s: %+v", other, r)
	}
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
		if risky["hubtools"].listChanged.Load() != 0 {
			t.Fatal("/mcp/hubtools got list_changed after a risk override that left its tools as they were")
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(50 * time.Millisecond): // polling a counter, not synchronising
		}
	}

	// list_changed over HTTP+SSE: the agent stops; /sse/laptop hears of it (the positive
	// control), then /sse/hubtools must hear nothing for a while.
	laptop, hub := watchers["/sse/laptop"], watchers["/sse/hubtools"]
	lb, hb := laptop.listChanged.Load(), hub.listChanged.Load()
	m.agent.stop()
	waitFor(t, 60*time.Second, "list_changed at /sse/laptop after the agent stopped", func() bool { return laptop.listChanged.Load() > lb })
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if hub.listChanged.Load() != hb {
			t.Fatal("/sse/hubtools got list_changed when only group laptop changed")
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(50 * time.Millisecond): // polling a counter, not synchronising
		}
	}
	if refused, answer := (client{call: func(tool, args string) (bool, string) {
		r := hub.do(t, "call "+tool+" "+args)
		return r.Event == "error" || r.IsError, r.Text + r.Error
	}}).call("everything__echo", `{"message":"still here"}`); refused || !strings.Contains(answer, "still here") {
		t.Errorf("/sse/hubtools after the agent stopped: %v %s", refused, answer)
	}
}
