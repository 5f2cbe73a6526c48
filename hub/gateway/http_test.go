package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestMalformedMessages(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	cases := []struct {
		name, body string
		code       int
	}{
		{"not JSON", `{"jsonrpc":"2.0",`, -32700},
		{"garbage", `hello`, -32700},
		{"empty body", ``, -32700},
		{"trailing garbage", `{"jsonrpc":"2.0","id":1,"method":"ping"} x`, -32700},
		{"not JSON-RPC", `{"foo":1}`, -32600},
		{"wrong version", `{"jsonrpc":"1.0","id":1,"method":"ping"}`, -32600},
		{"a string", `"ping"`, -32600},
		{"method not a string", `{"jsonrpc":"2.0","id":1,"method":5}`, -32600},
		{"null id", `{"jsonrpc":"2.0","id":null,"method":"ping"}`, -32600},
		{"fractional id", `{"jsonrpc":"2.0","id":1.5,"method":"ping"}`, -32600},
		{"params a string", `{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}`, -32600},
		{"response without id", `{"jsonrpc":"2.0","result":{}}`, -32600},
		{"empty batch", `[]`, -32600},
		{"malformed batch", `[{"jsonrpc":"2.0"`, -32700},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range []string{"", sid} { // with a session and before one
				httpStatus(t, h.post(s, c.body), http.StatusBadRequest, c.code)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	h := newHarness(t, Config{MaxBodyBytes: 1024})
	sid := h.initialize("2025-11-25", "")
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__echo","arguments":{"x":"` + strings.Repeat("a", 1024) + `"}}}`
	httpStatus(t, h.post(sid, big), http.StatusRequestEntityTooLarge, -32600)
	if h.up.last().Method != "" {
		t.Errorf("an oversized body reached the upstream")
	}
	// Just under the limit passes.
	small := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__echo","arguments":{"x":"` + strings.Repeat("a", 900) + `"}}}`
	var echo map[string]any
	toolText(t, h.reply(h.post(sid, small)), &echo)

	// The same limit guards the legacy transport's /messages.
	r := h.request(http.MethodPost, "/messages?sessionId="+legacySession(t, h), big)
	httpStatus(t, h.do(r), http.StatusRequestEntityTooLarge, -32600)
}

func TestInitialize(t *testing.T) {
	h := newHarness(t, Config{ServerName: "gw-test", ServerVersion: "9.9", Instructions: "use the tools"})
	for _, c := range []struct{ asked, want string }{
		{"2025-11-25", "2025-11-25"},
		{"2025-06-18", "2025-06-18"},
		{"2025-03-26", "2025-03-26"},
		{"2024-11-05", "2024-11-05"},
		{"2026-07-28", "2025-11-25"}, // the stateless era is not served here
		{"1999-01-01", "2025-11-25"},
		{"latest", "2025-11-25"},
	} {
		resp := h.post("", `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"`+c.asked+`","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: status %d, Content-Type %q", c.asked, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		sid := resp.Header.Get(headerSession)
		if len(sid) < 32 || strings.Trim(sid, "0123456789abcdef") != "" {
			t.Errorf("session id %q: want at least 128 bits of hex", sid)
		}
		m := h.reply(resp)
		var res struct {
			ProtocolVersion string
			Capabilities    map[string]json.RawMessage
			ServerInfo      struct{ Name, Version string }
			Instructions    string
		}
		if err := json.Unmarshal(m.Result, &res); err != nil || string(m.ID) != `"init"` {
			t.Fatalf("%s: %s: %v", c.asked, m.Result, err)
		}
		if res.ProtocolVersion != c.want {
			t.Errorf("asked %s, got %s, want %s", c.asked, res.ProtocolVersion, c.want)
		}
		for _, k := range []string{"tools", "prompts", "resources", "logging", "completions"} {
			if res.Capabilities[k] == nil {
				t.Errorf("capability %s missing: %s", k, m.Result)
			}
		}
		if res.ServerInfo.Name != "gw-test" || res.ServerInfo.Version != "9.9" || res.Instructions != "use the tools" {
			t.Errorf("serverInfo %+v, instructions %q", res.ServerInfo, res.Instructions)
		}
	}
	if n := h.gw.Sessions(); n != 7 {
		t.Errorf("%d sessions, want 7", n)
	}

	// Refusals open no session.
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize"}`,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":[1]}`,
	} {
		resp := h.post("", body)
		if m := h.reply(resp); m.Error == nil || m.Error.Code != -32602 || resp.Header.Get(headerSession) != "" {
			t.Errorf("%s: %+v, session %q", body, m.Error, resp.Header.Get(headerSession))
		}
	}
	if n := h.gw.Sessions(); n != 7 {
		t.Errorf("%d sessions after refused initializes, want 7", n)
	}

	// initialize inside a session is refused, and the session stays.
	sid := h.initialize("2025-11-25", "")
	m := h.rpc(sid, 3, "initialize", `{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}`)
	if m.Error == nil || m.Error.Code != -32600 {
		t.Errorf("initialize in a session: %s %+v", m.Result, m.Error)
	}
	if m := h.rpc(sid, 4, "ping", ""); m.Error != nil || string(m.Result) != "{}" {
		t.Errorf("ping: %s %+v", m.Result, m.Error)
	}
}

func TestSessionChecks(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-06-18", "")
	ping := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	note := `{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}`
	answer := `{"jsonrpc":"2.0","id":"gw-1","result":{}}`

	for _, body := range []string{ping, note, answer} {
		httpStatus(t, h.post("", body), http.StatusBadRequest, -32600)
		httpStatus(t, h.post("0123456789abcdef0123456789abcdef", body), http.StatusNotFound, -32600)
		httpStatus(t, h.post(sid, body, withKey(bobKey)), http.StatusNotFound, -32600)
	}
	httpStatus(t, h.post(sid, ping, withHeader(headerProtocol, "2099-01-01")), http.StatusBadRequest, -32600)
	if m := h.reply(h.post(sid, ping, withHeader(headerProtocol, "2025-06-18"))); m.Error != nil {
		t.Errorf("ping with the negotiated version header: %+v", m.Error)
	}
	// A session opened over the legacy transport is not usable on /mcp, and the reverse.
	legacy := legacySession(t, h)
	httpStatus(t, h.post(legacy, ping), http.StatusNotFound, -32600)
	r := h.request(http.MethodPost, "/messages?sessionId="+sid, ping)
	httpStatus(t, h.do(r), http.StatusNotFound, -32600)

	// Bob's own session works for bob only.
	bob := h.initialize("2025-11-25", "", withKey(bobKey))
	if m := h.reply(h.post(bob, ping, withKey(bobKey))); m.Error != nil {
		t.Errorf("bob's ping: %+v", m.Error)
	}
	httpStatus(t, h.post(bob, ping), http.StatusNotFound, -32600)
	r = h.request(http.MethodDelete, "/mcp", "")
	r.Header.Set(headerSession, bob)
	httpStatus(t, h.do(r), http.StatusNotFound, -32600)
	if m := h.reply(h.post(bob, ping, withKey(bobKey))); m.Error != nil {
		t.Errorf("bob's session after alice tried to delete it: %+v", m.Error)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newHarness(t, Config{})
	resp := h.do(h.request(http.MethodPut, "/mcp", "{}"))
	httpStatus(t, resp, http.StatusMethodNotAllowed, -32600)
	if a := resp.Header.Get("Allow"); a != "GET, POST, DELETE" {
		t.Errorf("Allow %q", a)
	}
}

func TestDelete(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	del := func() *http.Response {
		r := h.request(http.MethodDelete, "/mcp", "")
		r.Header.Set(headerSession, sid)
		return h.do(r)
	}
	if resp := del(); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if n := h.gw.Sessions(); n != 0 {
		t.Errorf("%d sessions after DELETE", n)
	}
	httpStatus(t, del(), http.StatusNotFound, -32600)
	httpStatus(t, h.post(sid, `{"jsonrpc":"2.0","id":1,"method":"ping"}`), http.StatusNotFound, -32600)
	r := h.request(http.MethodDelete, "/mcp", "")
	httpStatus(t, h.do(r), http.StatusBadRequest, -32600)
}

func TestDeleteEndsStreamAndCalls(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	stream := h.openStream(sid)
	reply := make(chan rpcMsg, 1)
	go func() {
		resp, err := h.client.Do(withSession(h.request(http.MethodPost, "/mcp", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"util__slow"}}`), sid))
		if err != nil {
			reply <- rpcMsg{}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m rpcMsg
		_ = json.Unmarshal(b, &m)
		reply <- m
	}()
	waitFor(t, h.up.started, "the slow call")
	r := h.request(http.MethodDelete, "/mcp", "")
	r.Header.Set(headerSession, sid)
	if resp := h.do(r); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	waitFor(t, h.up.cancelled, "the slow call's cancellation")
	if m := waitFor(t, reply, "the slow call's reply"); m.Error == nil || m.Error.Code != -32800 {
		t.Errorf("slow call after DELETE: %+v", m.Error)
	}
	if _, ok := stream.next(t, 5*time.Second); ok {
		t.Error("GET stream still open after DELETE")
	}
}

func withSession(r *http.Request, sid string) *http.Request {
	r.Header.Set(headerSession, sid)
	return r
}

// openStream opens the session's GET stream and returns its events once it is attached.
func (h *harness) openStream(sid string) *events {
	h.t.Helper()
	r := h.request(http.MethodGet, "/mcp", "")
	r.Header.Set("Accept", "text/event-stream")
	r.Header.Set(headerSession, sid)
	resp := h.do(r)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("GET /mcp: %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return newEvents(resp.Body)
}

func TestGetStream(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	other := h.initialize("2025-11-25", "") // no stream: misses the notification, blocks nothing

	r := h.request(http.MethodGet, "/mcp", "")
	r.Header.Set(headerSession, sid)
	r.Header.Set("Accept", "application/json")
	httpStatus(t, h.do(r), http.StatusNotAcceptable, -32600)
	r = h.request(http.MethodGet, "/mcp", "")
	r.Header.Set("Accept", "text/event-stream")
	httpStatus(t, h.do(r), http.StatusBadRequest, -32600)

	stream := h.openStream(sid)
	r = h.request(http.MethodGet, "/mcp", "")
	r.Header.Set("Accept", "text/event-stream")
	r.Header.Set(headerSession, sid)
	httpStatus(t, h.do(r), http.StatusConflict, -32600)

	h.router.Set("laptop", laptopBackends("read", "write"))
	if m := stream.nextMsg(t); m.Method != "notifications/tools/list_changed" || m.ID != nil {
		t.Errorf("stream got %+v, want notifications/tools/list_changed", m)
	}
	// A change that leaves the exposed lists as they were sends nothing; a prompt change
	// sends only prompts/list_changed.
	h.router.Set("laptop", laptopBackends("read", "write"))
	b := hubBackends()
	b[0].Prompts = items("name", "greet", "farewell")
	h.router.Set("", b)
	if m := stream.nextMsg(t); m.Method != "notifications/prompts/list_changed" {
		t.Errorf("stream got %+v, want notifications/prompts/list_changed", m)
	}
	if m := h.rpc(other, 1, "ping", ""); m.Error != nil {
		t.Errorf("the session without a stream: %+v", m.Error)
	}
}

func TestGetStreamReopen(t *testing.T) {
	h := newHarness(t, Config{KeepAlive: 20 * time.Millisecond})
	sid := h.initialize("2025-11-25", "")
	r := h.request(http.MethodGet, "/mcp", "")
	r.Header.Set("Accept", "text/event-stream")
	r.Header.Set(headerSession, sid)
	resp := h.do(r)
	// Keep-alive comments flow while the stream is idle.
	buf := make([]byte, len(": keep-alive\n\n"))
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != ": keep-alive\n\n" {
		t.Fatalf("keep-alive: %q %v", buf, err)
	}
	resp.Body.Close()
	// Once the server noticed the client left, a new GET is accepted.
	for i := 0; ; i++ {
		r := h.request(http.MethodGet, "/mcp", "")
		r.Header.Set("Accept", "text/event-stream")
		r.Header.Set(headerSession, sid)
		resp := h.do(r)
		if resp.StatusCode == http.StatusOK {
			break
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict || i == 200 {
			t.Fatalf("reopen: %d", resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBatch(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-03-26", "")
	body := `[
		{"jsonrpc":"2.0","id":1,"method":"ping"},
		{"jsonrpc":"2.0","method":"notifications/roots/list_changed"},
		{"jsonrpc":"2.0","id":"two","method":"tools/call","params":{"name":"util__echo","arguments":{"a":1}}},
		{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}},
		{"foo":1},
		{"jsonrpc":"2.0","id":"gw-99","result":{}}
	]`
	resp := h.post(sid, body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("batch: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	raw, _ := io.ReadAll(resp.Body)
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("batch reply %s: %v", raw, err)
	}
	if len(out) != 4 {
		t.Fatalf("batch reply has %d messages, want 4: %s", len(out), raw)
	}
	ids := make([]string, len(out))
	for i, b := range out {
		m := decodeMsg(t, b)
		ids[i] = string(m.ID)
		switch i {
		case 0, 1:
			if m.Error != nil {
				t.Errorf("batch item %d: %+v", i, m.Error)
			}
		case 2:
			if m.Error == nil || m.Error.Code != -32602 || !strings.Contains(m.Error.Message, `"nope"`) {
				t.Errorf("unknown tool in a batch: %+v", m.Error)
			}
		case 3:
			if m.Error == nil || m.Error.Code != -32600 {
				t.Errorf("invalid batch item: %+v", m.Error)
			}
		}
	}
	// An error for a message whose id is unknown has "id": null (JSON-RPC 2.0, section 5).
	if got := strings.Join(ids, ","); got != `1,"two",3,null` {
		t.Errorf("batch reply ids %s", got)
	}
	if h.up.last().Target.Name != "echo" {
		t.Errorf("upstream got %+v", h.up.last())
	}

	// Only notifications and responses: 202 without a body.
	resp = h.post(sid, `[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":"gw-7","result":{}}]`)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusAccepted || len(b) != 0 {
		t.Errorf("batch of notifications: %d %q", resp.StatusCode, b)
	}
	// A batch needs a session like any other message.
	httpStatus(t, h.post("", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`), http.StatusBadRequest, -32600)
}

// TestBatchRefusedAfter20250326: batching was removed in 2025-06-18.
func TestBatchRefusedAfter20250326(t *testing.T) {
	h := newHarness(t, Config{})
	for _, v := range []string{"2025-06-18", "2025-11-25"} {
		sid := h.initialize(v, "")
		httpStatus(t, h.post(sid, `[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__echo"}}]`), http.StatusBadRequest, -32600)
		if h.up.last().Method != "" {
			t.Fatalf("%s: a refused batch reached the upstream", v)
		}
	}
}

func TestNotificationsAndResponsesGet202(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	for _, body := range []string{
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","method":"notifications/whatever","params":{}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":12345}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{"x":1}}}`,
		`{"jsonrpc":"2.0","id":"gw-1","result":{}}`,
		`{"jsonrpc":"2.0","id":5,"error":{"code":-1,"message":"no"}}`,
	} {
		resp := h.post(sid, body)
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusAccepted || len(b) != 0 {
			t.Errorf("%s: %d %q", body, resp.StatusCode, b)
		}
	}
}

func TestUnknownMethod(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	for i, method := range []string{"tools/nope", "server/discover", "sampling/createMessage"} {
		m := h.rpc(sid, i+1, method, "")
		if m.Error == nil || m.Error.Code != -32601 || !strings.Contains(m.Error.Message, fmt.Sprintf("%q", method)) {
			t.Errorf("%s: %+v", method, m.Error)
		}
	}
}
