package e2e

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestToolGroups: tool groups made through the REST API, each at its own endpoint, with a
// real hub, a real agent running the npm servers, and real clients in both eras:
//
//   - group "laptop" (agent laptop's tools) is watched by the go-sdk client in the 2025
//     session era and by a TypeScript SDK client;
//   - group "hub" (the hub's own everything__* and memory__* tools, by glob) by the go-sdk
//     client in the stateless 2026-07-28 era (list_changed on subscriptions/listen) and by
//     a TypeScript SDK client.
//
// Each sees only its group's tools, and a call outside its group is refused as an unknown
// tool. list_changed reaches only the group whose tools changed: a hub-local backend added
// through the REST API (server-memory) changes group "hub" only; the agent stopping changes
// group "laptop" only. Each "does not" is checked for a while after the other group's
// clients (the positive control) got theirs.
func TestToolGroups(t *testing.T) {
	m := startMesh(t)
	ctx := ctxFor(t, 4*time.Minute)
	owner := m.hub.OwnerKey
	for name, body := range map[string]map[string]any{
		"laptop": {"agents": []string{"laptop"}},
		"hub":    {"tools": []string{"everything__*", "memory__*"}},
	} {
		if st := restCall(t, m.hub, owner, "POST", "/groups/"+name, body, nil); st != http.StatusCreated {
			t.Fatalf("create group %s: %d", name, st)
		}
	}

	type watcher struct {
		name    string
		group   string
		changed func() int64
		list    func() []string
		call    func(tool string) (refused bool, msg string)
	}
	var ws []*watcher

	// The go-sdk clients: 2025 at /mcp/laptop, 2026-07-28 (stateless) at /mcp/hub.
	for _, c := range []struct{ group, era string }{{"laptop", "2025-11-25"}, {"hub", "2026-07-28"}} {
		var changed atomic.Int64
		client := mcp.NewClient(&mcp.Implementation{Name: "e2e-groups", Version: "1"}, &mcp.ClientOptions{
			ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed.Add(1) },
		})
		var opts *mcp.ClientSessionOptions
		if c.era != "2026-07-28" {
			opts = &mcp.ClientSessionOptions{ProtocolVersion: c.era}
		}
		cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: m.hub.URL + "/mcp/" + c.group, HTTPClient: authClient(owner)}, opts)
		if err != nil {
			t.Fatalf("go-sdk %s at /mcp/%s: %v", c.era, c.group, err)
		}
		defer cs.Close()
		if got := cs.InitializeResult().ProtocolVersion; got != c.era {
			t.Fatalf("negotiated %s, want %s", got, c.era)
		}
		ws = append(ws, &watcher{name: "go-sdk " + c.era, group: c.group, changed: changed.Load,
			list: func() []string {
				var names []string
				for tool, err := range cs.Tools(ctx, nil) {
					if err != nil {
						t.Fatalf("tools/list: %v", err)
					}
					names = append(names, tool.Name)
				}
				return names
			},
			call: func(tool string) (bool, string) {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: map[string]any{"message": "hi"}})
				if err != nil {
					return true, err.Error()
				}
				return false, text(res.Content)
			}})
	}
	// The stateless client hears list_changed on its subscriptions/listen stream.
	waitFor(t, 30*time.Second, "the stateless client's listen stream", func() bool { return m.hub.Server.GW.Listeners() > 0 })

	// The TypeScript SDK clients (session era, list_changed on the GET stream).
	node := nodeBin(t)
	script := filepath.Join(repoRoot(t), "e2e", "ts", "listchanged.mjs")
	for _, group := range []string{"laptop", "hub"} {
		c := startTSWatcher(t, node, script, "streamable", m.hub.URL, owner, "/mcp/"+group)
		if ready := c.next(t, 60*time.Second); ready.Event != "ready" {
			t.Fatalf("ts at /mcp/%s: %+v", group, ready)
		}
		defer c.quit(t)
		ws = append(ws, &watcher{name: "ts", group: group, changed: c.listChanged.Load,
			list: func() []string {
				r := c.do(t, "list")
				if r.Event != "list" {
					t.Fatalf("ts list: %+v", r)
				}
				return r.Names
			},
			call: func(tool string) (bool, string) {
				r := c.do(t, `call `+tool+` {"message":"hi"}`)
				if r.Event == "error" {
					return true, r.Error
				}
				return false, r.Text
			}})
	}

	inGroup := map[string]func(string) bool{
		"laptop": func(n string) bool { return strings.HasPrefix(n, "laptop__") },
		"hub":    func(n string) bool { return strings.HasPrefix(n, "everything__") || strings.HasPrefix(n, "memory__") },
	}
	other := map[string]string{"laptop": "everything__echo", "hub": "laptop__everything__echo"}
	own := map[string]string{"laptop": "laptop__everything__echo", "hub": "everything__echo"}
	for _, w := range ws {
		names := w.list()
		if len(names) < 5 || slices.ContainsFunc(names, func(n string) bool { return !inGroup[w.group](n) }) {
			t.Errorf("%s at /mcp/%s lists %v", w.name, w.group, names)
		}
		if refused, msg := w.call(own[w.group]); refused || !strings.Contains(msg, "hi") {
			t.Errorf("%s at /mcp/%s: call %s: %s", w.name, w.group, own[w.group], msg)
		}
		if refused, msg := w.call(other[w.group]); !refused || !strings.Contains(msg, "unknown tool") {
			t.Errorf("%s at /mcp/%s: call %s outside the group: refused %v, %s", w.name, w.group, other[w.group], refused, msg)
		}
		if refused, msg := w.call("nosuch__tool"); !refused || !strings.Contains(msg, "unknown tool") {
			t.Errorf("%s at /mcp/%s: call of an unknown tool: refused %v, %s", w.name, w.group, refused, msg)
		}
	}

	// changes checks that a change reaches the clients of group `to` and, once it has, that
	// those of the other group saw none for a while.
	changes := func(what, to string, act func()) {
		t.Helper()
		before := map[*watcher]int64{}
		for _, w := range ws {
			before[w] = w.changed()
		}
		act()
		for _, w := range ws {
			if w.group == to {
				waitFor(t, 60*time.Second, w.name+" at /mcp/"+to+": list_changed after "+what, func() bool { return w.changed() > before[w] })
			}
		}
		// The positive control arrived; the other group's notification, had there been
		// one, left the hub in the same pass. Give it time to be delivered anyway.
		deadline := time.After(2 * time.Second)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for done := false; !done; {
			select {
			case <-deadline:
				done = true
			case <-tick.C:
			}
			for _, w := range ws {
				if w.group != to && w.changed() != before[w] {
					t.Fatalf("%s at /mcp/%s got list_changed after %s, which changed only group %s", w.name, w.group, what, to)
				}
			}
		}
	}

	memory := npmBin(t, "mcp-server-memory")
	changes("a hub-local backend was added", "hub", func() {
		if st := restCall(t, m.hub, owner, "POST", "/backends/memory", map[string]any{"transport": "stdio", "command": memory,
			"env": map[string]string{"MEMORY_FILE_PATH": filepath.Join(t.TempDir(), "memory.json")}}, nil); st != http.StatusCreated {
			t.Fatalf("add backend memory: %d", st)
		}
	})
	for _, w := range ws {
		if w.group == "hub" {
			waitFor(t, 30*time.Second, w.name+": memory__ tools listed", func() bool {
				return slices.ContainsFunc(w.list(), func(n string) bool { return strings.HasPrefix(n, "memory__") })
			})
		}
	}
	changes("the agent stopped", "laptop", func() { m.agent.stop() })
}
