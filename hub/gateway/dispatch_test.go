package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

func TestToolsCallRoutes(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	cases := []struct {
		exposed string
		want    router.Target
	}{
		{"util__echo", router.Target{Backend: "util", Name: "echo"}},
		{"laptop__fs__read", router.Target{Agent: "laptop", Backend: "fs", Name: "read"}},
	}
	for i, c := range cases {
		m := h.rpc(sid, i+1, "tools/call", `{"name":"`+c.exposed+`","arguments":{"path":"/tmp/x","n":[1,2]},"_meta":{"progressToken":"p1"}}`)
		var echo struct {
			Params struct {
				Name      string          `json:"name"`
				Arguments json.RawMessage `json:"arguments"`
				Meta      json.RawMessage `json:"_meta"`
			}
			Caller struct{ UserID, KeyID, Role, Session string }
		}
		toolText(t, m, &echo)
		got := h.up.last()
		if got.Target != c.want || got.Method != "tools/call" {
			t.Errorf("%s routed to %+v %s, want %+v", c.exposed, got.Target, got.Method, c.want)
		}
		if echo.Params.Name != c.want.Name {
			t.Errorf("%s: upstream got name %q, want %q", c.exposed, echo.Params.Name, c.want.Name)
		}
		// Everything but the name passes through untouched.
		if string(echo.Params.Arguments) != `{"path":"/tmp/x","n":[1,2]}` || string(echo.Params.Meta) != `{"progressToken":"p1"}` {
			t.Errorf("%s: arguments %s, _meta %s", c.exposed, echo.Params.Arguments, echo.Params.Meta)
		}
		if echo.Caller.UserID != "u-alice" || echo.Caller.KeyID != "k-alice" || echo.Caller.Role != "admin" || echo.Caller.Session != sid {
			t.Errorf("caller %+v", echo.Caller)
		}
	}
}

func TestToolsCallErrors(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	cases := []struct {
		params string
		code   int
		text   string
	}{
		{`{"name":"nope"}`, -32602, `unknown tool "nope"`},
		{`{"name":"laptop__fs__nope"}`, -32602, `"laptop__fs__nope"`},
		{`{"name":"laptop__broken__never"}`, -32602, `"laptop__broken__never"`}, // backend not ready
		{`{"name":"echo"}`, -32602, `"echo"`},                                   // original names are not exposed in prefixed mode
		{`{}`, -32602, "params.name"},
		{`{"name":""}`, -32602, "params.name"},
		{`{"name":5}`, -32602, "params.name"},
		{`[1]`, -32602, "params must be an object"},
		// The upstream's own error, such as an agent that dropped during the call, reaches
		// the client with its words.
		{`{"name":"util__fail"}`, -32002, `agent "laptop" is not connected`},
	}
	for i, c := range cases {
		m := h.rpc(sid, i+1, "tools/call", c.params)
		if m.Error == nil || m.Error.Code != c.code || !strings.Contains(m.Error.Message, c.text) {
			t.Errorf("tools/call %s: %+v, want %d containing %s", c.params, m.Error, c.code, c.text)
		}
	}
	if n := h.up.count(); n != 1 {
		t.Errorf("%d calls reached the upstream, want only util__fail", n)
	}
}

func TestAgentGone(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	call := func(id int) rpcMsg { return h.rpc(sid, id, "tools/call", `{"name":"laptop__fs__read"}`) }

	h.router.Remove("laptop")
	// Not marked gone: just an unknown tool.
	if m := call(1); m.Error == nil || m.Error.Code != -32602 || strings.Contains(m.Error.Message, "not connected") {
		t.Errorf("before AgentGone: %+v", m.Error)
	}
	h.gw.AgentGone("laptop")
	if m := call(2); m.Error == nil || !strings.Contains(m.Error.Message, `agent "laptop" is not connected`) ||
		!strings.Contains(m.Error.Message, `"laptop__fs__read"`) {
		t.Errorf("after AgentGone: %+v", m.Error)
	}
	// Other tools are not blamed on the agent.
	if m := h.rpc(sid, 3, "tools/call", `{"name":"desktop__fs__read"}`); m.Error == nil || strings.Contains(m.Error.Message, "laptop") {
		t.Errorf("another agent's tool: %+v", m.Error)
	}
	h.gw.AgentBack("laptop")
	h.router.Set("laptop", laptopBackends())
	var echo map[string]any
	toolText(t, call(4), &echo)
}

func TestPagination(t *testing.T) {
	h := newHarness(t, Config{PageSize: 2})
	sid := h.initialize("2025-11-25", "")
	var all []string
	cursor := ""
	for page := 0; ; page++ {
		params := `{}`
		if cursor != "" {
			params = `{"cursor":"` + cursor + `"}`
		}
		m := h.rpc(sid, page+1, "tools/list", params)
		var res struct {
			Tools []struct {
				Name        string          `json:"name"`
				InputSchema json.RawMessage `json:"inputSchema"`
			}
			NextCursor *string `json:"nextCursor"`
		}
		if err := json.Unmarshal(m.Result, &res); err != nil || m.Error != nil {
			t.Fatalf("tools/list: %s %+v %v", m.Result, m.Error, err)
		}
		if len(res.Tools) > 2 || (res.NextCursor != nil && len(res.Tools) != 2) {
			t.Fatalf("page %d has %d tools", page, len(res.Tools))
		}
		for _, tool := range res.Tools {
			all = append(all, tool.Name)
			if len(tool.InputSchema) == 0 {
				t.Errorf("tool %s lost its inputSchema", tool.Name)
			}
		}
		if res.NextCursor == nil {
			break
		}
		if *res.NextCursor == "" {
			t.Fatal(`"nextCursor": "" on a page that is not the last`)
		}
		cursor = *res.NextCursor
	}
	if got, want := strings.Join(all, ","), "laptop__fs__read,util__echo,util__fail,util__progress,util__sample,util__slow"; got != want {
		t.Errorf("tools %s, want %s", got, want)
	}
	for i, cur := range []string{`"!!not base64!!"`, `5`, `"%%%"`, `{}`} {
		if m := h.rpc(sid, 10+i, "tools/list", `{"cursor":`+cur+`}`); m.Error == nil || m.Error.Code != -32602 {
			t.Errorf("cursor %s: %s %+v", cur, m.Result, m.Error)
		}
	}
	for _, method := range []string{"prompts/list", "resources/list", "resources/templates/list"} {
		if m := h.rpc(sid, 50, method, `{"cursor":"%%%"}`); m.Error == nil || m.Error.Code != -32602 {
			t.Errorf("%s with a bad cursor: %+v", method, m.Error)
		}
	}
}

func TestLists(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	for _, c := range []struct{ method, field, want string }{
		{"prompts/list", "prompts", `"name":"util__greet"`},
		{"resources/list", "resources", `"uri":"mcpgw://util/file:///a.txt"`},
		{"resources/templates/list", "resourceTemplates", `"resourceTemplates":[]`},
		{"tools/list", "tools", `"name":"laptop__fs__read"`},
	} {
		m := h.rpc(sid, 1, c.method, "")
		if m.Error != nil || !strings.Contains(string(m.Result), c.want) || strings.Contains(string(m.Result), "nextCursor") {
			t.Errorf("%s: %s %+v, want %s", c.method, m.Result, m.Error, c.want)
		}
	}
	// No params at all is the first page too.
	if m := h.reply(h.post(sid, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)); m.Error != nil {
		t.Errorf("tools/list without params: %+v", m.Error)
	}
}

func TestResourcesRead(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	const exposed = "mcpgw://util/file:///a.txt"
	m := h.rpc(sid, 1, "resources/read", `{"uri":"`+exposed+`"}`)
	var res struct {
		Contents []struct{ URI, Text, MimeType string }
	}
	if err := json.Unmarshal(m.Result, &res); err != nil || m.Error != nil || len(res.Contents) != 2 {
		t.Fatalf("resources/read: %s %+v %v", m.Result, m.Error, err)
	}
	if got := h.up.last(); got.Target != (router.Target{Backend: "util", Name: "file:///a.txt"}) || !strings.Contains(string(got.Params), `"uri":"file:///a.txt"`) {
		t.Errorf("upstream got %+v %s", got.Target, got.Params)
	}
	// The contents name the URI the client asked for; other members stay.
	if c := res.Contents[0]; c.URI != exposed || c.Text != "hello" || c.MimeType != "text/plain" {
		t.Errorf("contents[0] %+v", c)
	}
	// A content the backend added under another URI is left as it is.
	if c := res.Contents[1]; c.URI != "file:///other.txt" {
		t.Errorf("contents[1] %+v", c)
	}
	for _, params := range []string{`{"uri":"file:///a.txt"}`, `{"uri":"mcpgw://nope/x"}`, `{}`, `{"uri":7}`} {
		if m := h.rpc(sid, 2, "resources/read", params); m.Error == nil || m.Error.Code != -32602 {
			t.Errorf("resources/read %s: %+v", params, m.Error)
		}
	}
}

func TestResourceSubscribe(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	stream := h.openStream(sid)
	const exposed = "mcpgw://util/file:///a.txt"
	if m := h.rpc(sid, 1, "resources/subscribe", `{"uri":"`+exposed+`"}`); m.Error != nil {
		t.Fatalf("subscribe: %+v", m.Error)
	}
	if got := h.up.last(); got.Method != "resources/subscribe" || !strings.Contains(string(got.Params), `"uri":"file:///a.txt"`) {
		t.Errorf("upstream got %s %s", got.Method, got.Params)
	}
	h.gw.ResourceUpdated("mcpgw://util/file:///other.txt")
	h.gw.ResourceUpdated(exposed)
	if m := stream.nextMsg(t); m.Method != "notifications/resources/updated" || !strings.Contains(string(m.Params), exposed) {
		t.Errorf("stream got %+v", m)
	}
	if m := h.rpc(sid, 2, "resources/unsubscribe", `{"uri":"`+exposed+`"}`); m.Error != nil {
		t.Fatalf("unsubscribe: %+v", m.Error)
	}
	h.gw.ResourceUpdated(exposed)
	h.router.Set("laptop", laptopBackends("read", "write")) // a marker behind the update, if any
	if m := stream.nextMsg(t); m.Method != "notifications/tools/list_changed" {
		t.Errorf("after unsubscribe the stream got %+v", m)
	}
}

func TestPromptsAndCompletion(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	m := h.rpc(sid, 1, "prompts/get", `{"name":"util__greet","arguments":{"who":"x"}}`)
	if got := h.up.last(); m.Error != nil || got.Target != (router.Target{Backend: "util", Name: "greet"}) || !strings.Contains(string(got.Params), `"name":"greet"`) {
		t.Errorf("prompts/get: %+v, upstream got %+v %s", m.Error, got.Target, got.Params)
	}
	if m := h.rpc(sid, 2, "prompts/get", `{"name":"util__nope"}`); m.Error == nil || !strings.Contains(m.Error.Message, `unknown prompt "util__nope"`) {
		t.Errorf("unknown prompt: %+v", m.Error)
	}
	m = h.rpc(sid, 3, "completion/complete", `{"ref":{"type":"ref/prompt","name":"util__greet"},"argument":{"name":"who","value":"a"}}`)
	if got := h.up.last(); m.Error != nil || got.Method != "completion/complete" || !strings.Contains(string(got.Params), `"name":"greet"`) ||
		!strings.Contains(string(got.Params), `"argument":{"name":"who","value":"a"}`) {
		t.Errorf("completion/complete: %+v, upstream got %s", m.Error, got.Params)
	}
	m = h.rpc(sid, 4, "completion/complete", `{"ref":{"type":"ref/resource","uri":"mcpgw://util/file:///{name}"},"argument":{"name":"name","value":"a"}}`)
	if got := h.up.last(); m.Error != nil || !strings.Contains(string(got.Params), `"uri":"file:///{name}"`) {
		t.Errorf("completion/complete on a template: %+v, upstream got %s", m.Error, got.Params)
	}
	for _, params := range []string{`{"ref":{"type":"ref/prompt","name":"nope"}}`, `{"ref":{"type":"ref/other"}}`, `{"ref":5}`, `{}`} {
		if m := h.rpc(sid, 5, "completion/complete", params); m.Error == nil || m.Error.Code != -32602 {
			t.Errorf("completion/complete %s: %+v", params, m.Error)
		}
	}
}

// TestToolsCallNameSmuggling: the name the gateway routes (and RBAC judges) must be the one
// the backend runs, however the client spells or repeats "name": a repeated name, spelled
// alike or escaped, is refused (-32602) and never reaches the upstream (issue 10 item 9);
// a "name" inside the arguments is only an argument.
func TestToolsCallNameSmuggling(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	for i, params := range []string{
		`{"name":"secret","name":"util__echo"}`,
		`{"n\u0061me":"secret","name":"util__echo"}`,
		`{"name":"util__echo","arguments":{"name":"secret"},"n\u0061me":"util__echo"}`,
		`{"name":"util__echo","name":"secret"}`,
		`{"name":"util__echo","n\u0061me":"secret"}`,
	} {
		before := h.up.count()
		m := h.rpc(sid, i+1, "tools/call", params)
		if m.Error == nil || m.Error.Code != codeInvalidParams || !strings.Contains(m.Error.Message, `duplicate key "name" at params`) {
			t.Errorf("%s: %s %+v, want -32602 naming the duplicate", params, m.Result, m.Error)
		}
		if h.up.count() != before {
			t.Errorf("%s reached the upstream as %s", params, h.up.last().Params)
		}
	}
	m := h.rpc(sid, 9, "tools/call", `{"name":"util__echo","arguments":{"name":"secret"}}`)
	if got := h.up.last(); m.Error != nil || got.Target.Name != "echo" || !strings.Contains(string(got.Params), `"arguments":{"name":"secret"}`) {
		t.Errorf("a name among the arguments: %+v, upstream got %s", m.Error, got.Params)
	}
}

// The upstream (and so an agent) learns the caller's application from the key, beside who
// the caller is.
func TestCallerCarriesApplication(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "", withKey(carolKey))
	var echo struct {
		Caller struct{ Name, KeyID, Application string }
	}
	toolText(t, rpcAs(h, sid, 1, "tools/call", `{"name":"util__echo"}`, withKey(carolKey)), &echo)
	if echo.Caller.Name != "alice" || echo.Caller.KeyID != "k-carol" || echo.Caller.Application != "cursor" {
		t.Errorf("caller %+v, want alice through k-carol for cursor", echo.Caller)
	}
	if got := h.up.last().Caller.Application; got != "cursor" {
		t.Errorf("upstream caller application %q, want cursor", got)
	}
}

// methods returns how many upstream calls had each method.
func (u *fakeUpstream) methods() map[string]int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := map[string]int{}
	for _, c := range u.calls {
		n[c.Method]++
	}
	return n
}

// TestSubscriptionHeldOnceAtTheBackend: the hub is one client of a shared backend session,
// so it subscribes there when the first of its clients does and unsubscribes when the last
// one leaves: one client's unsubscribe does not end another's updates, and a session that
// ends releases what it held (issue 10, item 20). The agent's renewal is in
// e2e.TestSubscriptionSurvivesAgentReconnect.
func TestSubscriptionHeldOnceAtTheBackend(t *testing.T) {
	h := newHarness(t, Config{})
	const exposed = "mcpgw://util/file:///a.txt"
	a, b := h.initialize("2025-11-25", ""), h.initialize("2025-11-25", "")
	streamB := h.openStream(b)
	for i, sid := range []string{a, b} {
		if m := h.rpc(sid, i+1, "resources/subscribe", `{"uri":"`+exposed+`"}`); m.Error != nil {
			t.Fatalf("subscribe: %+v", m.Error)
		}
	}
	if n := h.up.methods()["resources/subscribe"]; n != 1 {
		t.Errorf("the backend got %d subscribes for two clients, want 1", n)
	}
	if m := h.rpc(a, 3, "resources/unsubscribe", `{"uri":"`+exposed+`"}`); m.Error != nil {
		t.Fatalf("unsubscribe: %+v", m.Error)
	}
	if n := h.up.methods()["resources/unsubscribe"]; n != 0 {
		t.Errorf("the backend got an unsubscribe while another client still holds the subscription")
	}
	h.gw.ResourceUpdated(exposed)
	if m := streamB.nextMsg(t); m.Method != "notifications/resources/updated" {
		t.Errorf("the client still subscribed got %+v", m)
	}
	r := h.request(http.MethodDelete, "/mcp", "")
	r.Header.Set(headerSession, b)
	if resp := h.do(r); resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if !waitfor.Poll(30*time.Second, func() bool { return h.up.methods()["resources/unsubscribe"] == 1 }) {
		t.Fatalf("the backend got no unsubscribe after the last client's session ended: %v", h.up.methods())
	}
	if got := h.up.last(); got.Target != (router.Target{Backend: "util", Name: "file:///a.txt"}) {
		t.Errorf("unsubscribe went to %+v", got.Target)
	}
}
