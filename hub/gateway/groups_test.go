package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
)

const groupKeyFS = "mcpgw_groupfs_0123456789abcdefghijklmnopqrstuvwxyzAB" // limited to group "fs"

func init() {
	keys[groupKeyFS] = auth.Identity{KeyID: "k-gfs", UserID: "u-alice", Name: "alice", Role: "admin", Kind: "user",
		Scope: "all", Groups: "fs"}
}

func withPath(p string) func(*http.Request) { return func(r *http.Request) { r.URL.Path = p } }

// groupHarness serves group "fs" (agent laptop's tools, prompts and resources) and group
// "util" (the hub's util__e* tools by glob).
func groupHarness(t *testing.T) *harness {
	h := newHarness(t, Config{})
	var gs []*Group
	for _, s := range []GroupSpec{{Name: "fs", Agents: []string{"laptop"}}, {Name: "util", Tools: []string{"util__e*"}}} {
		g, err := CompileGroup(s)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	h.gw.SetGroups(gs)
	return h
}

func (h *harness) rpcAt(path, sid string, id int, method, params string) rpcMsg {
	h.t.Helper()
	resp := h.post(sid, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params), withPath(path))
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s %s: status %d", path, method, resp.StatusCode)
	}
	return h.reply(resp)
}

func listNames(t *testing.T, m rpcMsg, field, key string) []string {
	t.Helper()
	var r map[string]json.RawMessage
	if m.Error != nil {
		t.Fatalf("list: %+v", *m.Error)
	}
	var its []map[string]any
	if err := json.Unmarshal(m.Result, &r); err != nil || json.Unmarshal(r[field], &its) != nil {
		t.Fatalf("list %s: %v", m.Result, err)
	}
	var out []string
	for _, it := range its {
		out = append(out, fmt.Sprint(it[key]))
	}
	return out
}

func TestCompileGroup(t *testing.T) {
	for _, s := range []GroupSpec{
		{Name: "", Tools: []string{"*"}},
		{Name: "Bad Name", Tools: []string{"*"}},
		{Name: "a/b", Tools: []string{"*"}},
		{Name: "empty"},
		{Name: "x", Tools: []string{"[oops"}},
		{Name: "x", Tools: []string{""}},
		{Name: "x", Agents: []string{""}},
		{Name: "x", Backends: []string{"a/b/c"}},
		{Name: "x", Backends: []string{"/b"}},
		{Name: "x", Risks: []string{"spicy"}},
	} {
		if _, err := CompileGroup(s); err == nil {
			t.Errorf("CompileGroup(%+v) accepted", s)
		}
	}
	for _, s := range []GroupSpec{
		{Name: "ok", Tools: []string{"*__read*"}},
		{Name: "ok-2_b", Agents: []string{"laptop"}, Backends: []string{"fs", "laptop/git"}, Risks: []string{"read", "write"}},
	} {
		if _, err := CompileGroup(s); err != nil {
			t.Errorf("CompileGroup(%+v): %v", s, err)
		}
	}
}

func TestGroupEndpointFilters(t *testing.T) {
	h := groupHarness(t)
	h.router.Set("laptop", append(laptopBackends("read", "write"), hubBackends()[0]))
	fs := h.initialize("2025-11-25", "", withPath("/mcp/fs"))
	util := h.initialize("2025-11-25", "", withPath("/mcp/util"))

	if got := listNames(t, h.rpcAt("/mcp/fs", fs, 1, "tools/list", "{}"), "tools", "name"); !slices.Equal(got,
		[]string{"laptop__fs__read", "laptop__fs__write", "laptop__util__echo", "laptop__util__fail", "laptop__util__progress", "laptop__util__sample", "laptop__util__slow"}) {
		t.Errorf("fs tools %v", got)
	}
	if got := listNames(t, h.rpcAt("/mcp/util", util, 1, "tools/list", "{}"), "tools", "name"); !slices.Equal(got, []string{"util__echo"}) {
		t.Errorf("util tools %v", got)
	}
	// /mcp still sees everything.
	if got := listNames(t, h.rpc(h.initialize("2025-11-25", ""), 1, "tools/list", "{}"), "tools", "name"); !slices.Contains(got, "util__slow") || !slices.Contains(got, "laptop__fs__read") {
		t.Errorf("/mcp tools %v", got)
	}

	// A call outside the group is refused exactly like an unknown tool.
	out := h.rpcAt("/mcp/fs", fs, 2, "tools/call", `{"name":"util__echo","arguments":{}}`)
	unknown := h.rpcAt("/mcp/fs", fs, 3, "tools/call", `{"name":"nope__x","arguments":{}}`)
	if out.Error == nil || unknown.Error == nil || out.Error.Code != unknown.Error.Code ||
		out.Error.Message != strings.Replace(unknown.Error.Message, "nope__x", "util__echo", 1) {
		t.Errorf("outside the group: %+v, unknown: %+v", out.Error, unknown.Error)
	}
	if m := h.rpcAt("/mcp/util", util, 4, "tools/call", `{"name":"util__echo","arguments":{}}`); m.Error != nil {
		t.Errorf("util__echo in group util: %+v", *m.Error)
	}
	if m := h.rpcAt("/mcp/util", util, 5, "tools/call", `{"name":"util__slow","arguments":{}}`); m.Error == nil || m.Error.Code != codeInvalidParams {
		t.Errorf("util__slow is outside group util: %+v", m)
	}

	// Prompts and resources follow agent and backend selectors; a glob-only group has none.
	if got := listNames(t, h.rpcAt("/mcp/fs", fs, 6, "prompts/list", "{}"), "prompts", "name"); !slices.Equal(got, []string{"laptop__util__greet"}) {
		t.Errorf("fs prompts %v", got)
	}
	if got := listNames(t, h.rpcAt("/mcp/util", util, 6, "prompts/list", "{}"), "prompts", "name"); len(got) != 0 {
		t.Errorf("util prompts %v", got)
	}
	if m := h.rpcAt("/mcp/fs", fs, 7, "prompts/get", `{"name":"util__greet"}`); m.Error == nil || !strings.Contains(m.Error.Message, "unknown prompt") {
		t.Errorf("prompt outside the group: %+v", m)
	}
	res := listNames(t, h.rpcAt("/mcp/fs", fs, 8, "resources/list", "{}"), "resources", "uri")
	if len(res) != 1 {
		t.Fatalf("fs resources %v", res)
	}
	all := listNames(t, h.rpc(h.initialize("2025-11-25", ""), 1, "resources/list", "{}"), "resources", "uri")
	for _, u := range all {
		if u != res[0] {
			if m := h.rpcAt("/mcp/fs", fs, 9, "resources/read", `{"uri":"`+u+`"}`); m.Error == nil || !strings.Contains(m.Error.Message, "unknown resource") {
				t.Errorf("resource %s outside the group: %+v", u, m)
			}
		}
	}

	// The stateless era at a group endpoint.
	if got := listNames(t, h.modern(10, "tools/list", "", "{}", "", withPath("/mcp/util")), "tools", "name"); !slices.Equal(got, []string{"util__echo"}) {
		t.Errorf("stateless util tools %v", got)
	}
	resp := h.post("", modernBody(11, "tools/call", `{"name":"laptop__fs__read","arguments":{}}`, ""),
		modernHeaders("tools/call", "laptop__fs__read"), withPath("/mcp/util"))
	if m := h.reply(resp); resp.StatusCode != http.StatusBadRequest || m.Error == nil || m.Error.Code != codeInvalidParams {
		t.Errorf("stateless call outside the group: %d %+v", resp.StatusCode, m)
	}

	// A session lives at its own endpoint; an unknown group is 404.
	httpStatus(t, h.post(fs, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, withPath("/mcp/util")), http.StatusNotFound, -32600)
	httpStatus(t, h.post(fs, `{"jsonrpc":"2.0","id":1,"method":"ping"}`), http.StatusNotFound, -32600)
	httpStatus(t, h.post("", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, withPath("/mcp/nosuch")), http.StatusNotFound, -32600)
}

func TestGroupLimitedKey(t *testing.T) {
	h := groupHarness(t)
	init := `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	httpStatus(t, h.post("", init, withKey(groupKeyFS)), http.StatusForbidden, codeUnauthorized)
	httpStatus(t, h.post("", init, withKey(groupKeyFS), withPath("/mcp/util")), http.StatusForbidden, codeUnauthorized)
	r := h.request(http.MethodGet, "/sse", "")
	r.Header.Set("Authorization", "Bearer "+groupKeyFS)
	httpStatus(t, h.do(r), http.StatusForbidden, codeUnauthorized)
	sid := h.initialize("2025-11-25", "", withKey(groupKeyFS), withPath("/mcp/fs"))
	resp := h.post(sid, `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`, withKey(groupKeyFS), withPath("/mcp/fs"))
	if got := listNames(t, h.reply(resp), "tools", "name"); !slices.Equal(got, []string{"laptop__fs__read"}) {
		t.Errorf("limited key at its group: %v", got)
	}
	// An unlimited key reaches every group and /mcp.
	h.initialize("2025-11-25", "", withPath("/mcp/util"))
	h.initialize("2025-11-25", "")
}

// noEvent checks that nothing arrives on a stream within d (after a positive control has
// shown that a notification sent at the same time would have arrived).
func noEvent(t *testing.T, e *events, d time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-e.ch:
		if ok {
			t.Errorf("unexpected event %s", ev.data)
		}
	case <-time.After(d):
	}
}

func (h *harness) openStreamAt(path, sid string) *events {
	h.t.Helper()
	r := h.request(http.MethodGet, path, "")
	r.Header.Set("Accept", "text/event-stream")
	r.Header.Set(headerSession, sid)
	resp := h.do(r)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return newEvents(resp.Body)
}

func TestGroupListChanged(t *testing.T) {
	h := groupHarness(t)
	fs := h.initialize("2025-11-25", "", withPath("/mcp/fs"))
	util := h.initialize("2025-11-25", "", withPath("/mcp/util"))
	root := h.initialize("2025-11-25", "")
	fsS, utilS, rootS := h.openStreamAt("/mcp/fs", fs), h.openStreamAt("/mcp/util", util), h.openStream(root)

	// laptop gains a tool: group fs and /mcp hear of it, group util does not.
	h.router.Set("laptop", laptopBackends("read", "write"))
	for _, s := range []*events{fsS, rootS} {
		if m := s.nextMsg(t); m.Method != "notifications/tools/list_changed" {
			t.Errorf("got %+v, want tools/list_changed", m)
		}
	}
	// The hub's util backend gains util__other (outside util__e*) and changes util__echo's
	// description: group util hears of it (the positive control), fs does not.
	b := hubBackends()
	b[0].Tools = append(b[0].Tools, item("name", "other"))
	h.router.Set("", b)
	if m := rootS.nextMsg(t); m.Method != "notifications/tools/list_changed" {
		t.Errorf("root got %+v", m)
	}
	b = hubBackends()
	b[0].Tools[0] = json.RawMessage(`{"name":"echo","description":"changed","inputSchema":{"type":"object"}}`)
	h.router.Set("", b)
	if m := utilS.nextMsg(t); m.Method != "notifications/tools/list_changed" {
		t.Errorf("util got %+v", m)
	}
	if m := rootS.nextMsg(t); m.Method != "notifications/tools/list_changed" {
		t.Errorf("root got %+v", m)
	}
	// Each change was pushed to every stream in one pass, before the util one arrived: fs
	// got neither hub change, and util only the one to its own tool.
	noEvent(t, fsS, 300*time.Millisecond)
	noEvent(t, utilS, 300*time.Millisecond)
}

// A call through a group endpoint is audited with the group in the event's detail, a call
// outside the group as an unknown tool; a call at /mcp has no group.
func TestGroupAudit(t *testing.T) {
	h, _, a := governedHarness(t)
	g, err := CompileGroup(GroupSpec{Name: "fs", Agents: []string{"laptop"}})
	if err != nil {
		t.Fatal(err)
	}
	h.gw.SetGroups([]*Group{g})
	sid := h.initialize("2025-11-25", "", withPath("/mcp/fs"))
	if m := h.rpcAt("/mcp/fs", sid, 1, "tools/call", `{"name":"read"}`); m.Error != nil {
		t.Fatalf("read: %+v", *m.Error)
	}
	if ev := a.last(t); ev.Detail != `{"group":"fs"}` || ev.Agent != "laptop" || ev.Status != "ok" {
		t.Errorf("group call audited as %+v", ev)
	}
	if m := h.rpcAt("/mcp/fs", sid, 2, "tools/call", `{"name":"util__echo"}`); m.Error == nil {
		t.Fatal("util__echo outside the group was called")
	}
	// Unknown: no backend either, though the name resolves at /mcp (the trail and the
	// metrics must not tell a group's client what lies outside it).
	if ev := a.last(t); ev.Detail != `{"group":"fs"}` || ev.Tool != "util__echo" || ev.Status != "error" || ev.Backend != "" || ev.Agent != "" {
		t.Errorf("refused call audited as %+v", ev)
	}
	root := h.initialize("2025-11-25", "")
	h.rpc(root, 3, "tools/call", `{"name":"read"}`)
	if ev := a.last(t); ev.Detail != "" {
		t.Errorf("a call at /mcp has detail %q", ev.Detail)
	}
}
