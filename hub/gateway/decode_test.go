package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// ambiguous are tools/call arguments the policy (testPolicy: echo only under /tmp) and a
// backend could read differently: the policy decoded the last "path" and allowed the call,
// a backend that keeps the first one would read /etc/passwd; a Python backend drops a line
// with invalid UTF-8 and the call hangs.
var ambiguous = []struct{ name, args, want string }{
	{"duplicate key", `{"path":"/etc/passwd","path":"/tmp/x"}`, `duplicate key "path" at params.arguments`},
	{"escaped duplicate", `{"path":"/etc/passwd","p\u0061th":"/tmp/x"}`, `duplicate key "path" at params.arguments`},
	{"invalid UTF-8", `{"path":"/tmp/caf` + "\xe9" + `"}`, `invalid UTF-8 at params.arguments.path`},
	{"lone surrogate", `{"path":"/tmp/\ud800"}`, `lone UTF-16 surrogate \ud800 at params.arguments.path`},
}

func callBody(id, args string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"echo","arguments":` + args + `}}`
}

func wantRefused(t *testing.T, m rpcMsg, id, want string) {
	t.Helper()
	if string(m.ID) != id || m.Error == nil || m.Error.Code != codeInvalidParams || m.Error.Message != "invalid params: "+want {
		t.Errorf("reply %+v %s, want id %s and -32602 %q", m.Error, m.ID, id, want)
	}
}

// Regression (issue 10 items 9 and 10): on every way in (a session's POST, a stateless
// POST, a batch, the HTTP+SSE transport's /messages) a request the policy and a backend
// could read differently is refused with -32602 under its id and never forwarded, while a
// clean one is forwarded.
func TestAmbiguousRequestsRefused(t *testing.T) {
	h := policyHarness(t, testPolicy)
	forwarded := func(before int, what string, want bool) {
		t.Helper()
		if got := h.up.count() > before; got != want {
			t.Errorf("%s: forwarded %v, want %v", what, got, want)
		}
	}

	t.Run("session", func(t *testing.T) {
		sid := h.initialize("2025-11-25", "")
		for _, c := range ambiguous {
			before := h.up.count()
			resp := h.post(sid, callBody("5", c.args))
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d", c.name, resp.StatusCode)
			}
			wantRefused(t, h.reply(resp), "5", c.want)
			forwarded(before, c.name, false)
		}
		before := h.up.count()
		if m := h.reply(h.post(sid, callBody("6", `{"path":"/tmp/x"}`))); m.Error != nil {
			t.Errorf("clean call: %+v", m.Error)
		}
		forwarded(before, "clean call", true)
		// A notification or a response has no id to answer: 400, id null.
		httpStatus(t, h.post(sid, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"requestId":2}}`), http.StatusBadRequest, codeInvalidParams)
		httpStatus(t, h.post(sid, `{"jsonrpc":"2.0","id":"gw-1","result":{"action":"accept","action":"decline"}}`), http.StatusBadRequest, codeInvalidParams)
	})

	t.Run("stateless", func(t *testing.T) {
		for _, c := range ambiguous {
			before := h.up.count()
			body := modernBody(8, "tools/call", `{"name":"echo","arguments":`+c.args+`}`, "")
			resp := h.post("", body, modernHeaders("tools/call", "echo"))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400 (invalid params)", c.name, resp.StatusCode)
			}
			wantRefused(t, h.reply(resp), "8", c.want)
			forwarded(before, c.name, false)
		}
		before := h.up.count()
		if m := h.modern(9, "tools/call", "echo", `{"name":"echo","arguments":{"path":"/tmp/x"}}`, ""); m.Error != nil {
			t.Errorf("clean call: %+v", m.Error)
		}
		forwarded(before, "clean call", true)
		// A duplicate in _meta is refused as well.
		body := modernBody(10, "tools/list", "", `,"io.modelcontextprotocol/protocolVersion":"2026-07-28"`)
		resp := h.post("", body, modernHeaders("tools/list", ""))
		wantRefused(t, h.reply(resp), "10", `duplicate key "io.modelcontextprotocol/protocolVersion" at params._meta`)
	})

	t.Run("batch", func(t *testing.T) {
		sid := h.initialize("2025-03-26", "")
		before := h.up.count()
		parts := []string{callBody(`"clean"`, `{"path":"/tmp/x"}`)}
		for _, c := range ambiguous {
			parts = append(parts, callBody(`"`+c.name+`"`, c.args))
		}
		resp := h.post(sid, "["+strings.Join(parts, ",")+"]")
		raw, _ := io.ReadAll(resp.Body)
		var out []json.RawMessage
		if err := json.Unmarshal(raw, &out); err != nil || len(out) != len(parts) {
			t.Fatalf("batch reply %s: %v", raw, err)
		}
		if m := decodeMsg(t, out[0]); m.Error != nil {
			t.Errorf("clean call: %+v", m.Error)
		}
		for i, c := range ambiguous {
			wantRefused(t, decodeMsg(t, out[i+1]), `"`+c.name+`"`, c.want)
		}
		if n := h.up.count() - before; n != 1 {
			t.Errorf("%d calls forwarded, want 1 (the clean one)", n)
		}
	})

	t.Run("sse", func(t *testing.T) {
		sid, ev := openLegacy(t, h)
		send := func(body string) rpcMsg {
			t.Helper()
			if resp := h.do(h.request(http.MethodPost, "/messages?sessionId="+sid, body)); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("POST /messages: %d", resp.StatusCode)
			}
			e, ok := ev.next(t, time.Minute)
			if !ok {
				t.Fatal("stream ended")
			}
			return decodeMsg(t, []byte(e.data))
		}
		if m := send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"old","version":"1"}}}`); m.Error != nil {
			t.Fatalf("initialize: %+v", m.Error)
		}
		for _, c := range ambiguous {
			before := h.up.count()
			wantRefused(t, send(callBody("3", c.args)), "3", c.want)
			forwarded(before, c.name, false)
		}
		before := h.up.count()
		if m := send(callBody("4", `{"path":"/tmp/x"}`)); m.Error != nil {
			t.Errorf("clean call: %+v", m.Error)
		}
		forwarded(before, "clean call", true)
		r := h.request(http.MethodPost, "/messages?sessionId="+sid, `{"jsonrpc":"2.0","method":"notifications/initialized","x":1,"x":2}`)
		httpStatus(t, h.do(r), http.StatusBadRequest, codeInvalidParams)
	})
}
