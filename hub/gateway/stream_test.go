package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReplyStaysJSON(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	resp := h.post(sid, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__echo"}}`)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/json" {
		t.Fatalf("plain call: %d %q", resp.StatusCode, ct)
	}
	if ms := h.messages(resp); len(ms) != 1 || ms[0].Error != nil {
		t.Errorf("plain call: %+v", ms)
	}
}

func TestProgressSwitchesToSSE(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	resp := h.post(sid, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"util__progress","_meta":{"progressToken":"tok-1"}}}`)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("progress call: %d %q", resp.StatusCode, ct)
	}
	ms := h.messages(resp)
	var got []string
	for _, m := range ms {
		switch {
		case m.Method == "notifications/progress":
			var p struct {
				ProgressToken string
				Progress      int
			}
			_ = json.Unmarshal(m.Params, &p)
			got = append(got, fmt.Sprintf("progress %s %d", p.ProgressToken, p.Progress))
		case m.Method == "notifications/message":
			var p struct{ Level string }
			_ = json.Unmarshal(m.Params, &p)
			got = append(got, "log "+p.Level)
		case m.Method == "" && string(m.ID) == "7" && m.Error == nil:
			got = append(got, "result")
		default:
			got = append(got, fmt.Sprintf("%+v", m))
		}
	}
	if g, want := strings.Join(got, ", "), "progress tok-1 1, progress tok-1 2, log info, log error, result"; g != want {
		t.Errorf("SSE reply: %s\nwant %s", g, want)
	}
}

// A client that accepts only JSON gets the result as JSON and what comes before it on its
// GET stream, when it has one.
func TestJSONOnlyClient(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	body := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"util__progress","_meta":{"progressToken":3}}}`
	resp := h.post(sid, body, withHeader("Accept", "application/json"))
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	if m := h.reply(resp); m.Error != nil {
		t.Fatalf("%+v", m.Error)
	}
	stream := h.openStream(sid)
	resp = h.post(sid, body, withHeader("Accept", "application/json"))
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	if m := h.reply(resp); m.Error != nil {
		t.Fatalf("%+v", m.Error)
	}
	if m := stream.nextMsg(t); m.Method != "notifications/progress" || !strings.Contains(string(m.Params), `"progressToken":3`) {
		t.Errorf("GET stream got %+v", m)
	}
}

func TestLoggingSetLevel(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	logs := func() string {
		resp := h.post(sid, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__progress"}}`)
		var levels []string
		for _, m := range h.messages(resp) {
			if m.Method == "notifications/message" {
				var p struct{ Level string }
				_ = json.Unmarshal(m.Params, &p)
				levels = append(levels, p.Level)
			}
		}
		return strings.Join(levels, ",")
	}
	if got := logs(); got != "info,error" {
		t.Errorf("default level: %q", got)
	}
	for _, c := range []struct{ level, want string }{
		{"warning", "error"},
		{"error", "error"},
		{"critical", ""},
		{"info", "info,error"},
		{"debug", "info,error"},
	} {
		if m := h.rpc(sid, 2, "logging/setLevel", `{"level":"`+c.level+`"}`); m.Error != nil || string(m.Result) != "{}" {
			t.Fatalf("setLevel %s: %+v", c.level, m.Error)
		}
		if got := logs(); got != c.want {
			t.Errorf("level %s: got %q, want %q", c.level, got, c.want)
		}
	}
	for _, params := range []string{`{"level":"loud"}`, `{}`, `{"level":3}`} {
		if m := h.rpc(sid, 3, "logging/setLevel", params); m.Error == nil || m.Error.Code != -32602 {
			t.Errorf("setLevel %s: %+v", params, m.Error)
		}
	}
	// Levels are per session.
	other := h.initialize("2025-11-25", "")
	h.rpc(sid, 4, "logging/setLevel", `{"level":"emergency"}`)
	resp := h.post(other, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__progress"}}`)
	if n := len(h.messages(resp)); n != 5 {
		t.Errorf("another session got %d messages, want 5", n)
	}
}

func TestSampling(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", `{"sampling":{}}`)
	resp := h.post(sid, `{"jsonrpc":"2.0","id":"call-1","method":"tools/call","params":{"name":"util__sample"}}`)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	ev := newEvents(resp.Body)
	req := ev.nextMsg(t)
	if req.Method != "sampling/createMessage" || req.ID == nil || !strings.Contains(string(req.Params), "say hi") {
		t.Fatalf("first event %+v, want the sampling request", req)
	}
	// The backend's own id stays behind the gateway.
	if strings.Contains(string(req.ID), "backend-1") {
		t.Errorf("the client sees the backend's request id %s", req.ID)
	}
	// Another caller cannot answer it.
	answer := `{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{"role":"assistant","content":{"type":"text","text":"hello back"},"model":"m1"}}`
	httpStatus(t, h.post(sid, answer, withKey(bobKey)), http.StatusNotFound, -32600)
	r := h.post(sid, answer)
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("posting the answer: %d", r.StatusCode)
	}
	m := ev.nextMsg(t)
	if string(m.ID) != `"call-1"` {
		t.Fatalf("second event %+v, want the result", m)
	}
	var got struct {
		Answer struct {
			Model   string
			Content struct{ Text string }
		}
	}
	toolText(t, m, &got)
	if got.Answer.Content.Text != "hello back" || got.Answer.Model != "m1" {
		t.Errorf("the backend got %+v", got)
	}
	if _, ok := ev.next(t, 5*time.Second); ok {
		t.Error("the reply stream goes on after the result")
	}

	// An error answer reaches the backend as an error.
	resp = h.post(sid, `{"jsonrpc":"2.0","id":"call-2","method":"tools/call","params":{"name":"util__sample"}}`)
	ev = newEvents(resp.Body)
	req = ev.nextMsg(t)
	h.post(sid, `{"jsonrpc":"2.0","id":`+string(req.ID)+`,"error":{"code":-1,"message":"user rejected sampling"}}`)
	var refused struct{ Refused string }
	toolText(t, ev.nextMsg(t), &refused)
	if !strings.Contains(refused.Refused, "user rejected sampling") {
		t.Errorf("the backend got %+v", refused)
	}
}

func TestSamplingWithoutCapability(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", `{"elicitation":{}}`)
	resp := h.post(sid, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__sample"}}`)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q: nothing was asked of the client", ct)
	}
	var got struct{ Refused string }
	toolText(t, h.reply(resp), &got)
	if !strings.Contains(got.Refused, "sampling/createMessage") || !strings.Contains(got.Refused, "capability") {
		t.Errorf("the backend got %+v", got)
	}
}

// slowCall starts util__slow in the background and returns its reply once it ends.
func (h *harness) slowCall(ctx context.Context, sid, id string) <-chan rpcMsg {
	out := make(chan rpcMsg, 1)
	r := h.request(http.MethodPost, "/mcp", `{"jsonrpc":"2.0","id":`+id+`,"method":"tools/call","params":{"name":"util__slow"}}`)
	r.Header.Set(headerSession, sid)
	r = r.WithContext(ctx)
	go func() {
		var m rpcMsg
		resp, err := h.client.Do(r)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			_ = json.Unmarshal(b, &m)
		}
		out <- m
	}()
	return out
}

func TestNotificationsCancelled(t *testing.T) {
	for _, id := range []string{`41`, `"call-41"`} {
		t.Run(id, func(t *testing.T) {
			h := newHarness(t, Config{})
			sid := h.initialize("2025-11-25", "")
			other := h.initialize("2025-11-25", "")
			reply := h.slowCall(context.Background(), sid, id)
			waitFor(t, h.up.started, "the slow call")

			// The same id in another session, or another id, cancels nothing.
			for _, c := range []struct{ sid, id string }{{other, id}, {sid, `999`}, {sid, `"41x"`}} {
				h.post(c.sid, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":`+c.id+`}}`)
			}
			select {
			case <-h.up.cancelled:
				t.Fatal("a notification for another request cancelled the call")
			case <-time.After(50 * time.Millisecond):
			}

			resp := h.post(sid, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":`+id+`,"reason":"user"}}`)
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("notifications/cancelled: %d", resp.StatusCode)
			}
			waitFor(t, h.up.cancelled, "the cancellation")
			if m := waitFor(t, reply, "the reply"); m.Error == nil || m.Error.Code != -32800 || string(m.ID) != id {
				t.Errorf("reply %+v", m)
			}
		})
	}
}

func TestClientDisconnectCancels(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	ctx, cancel := context.WithCancel(context.Background())
	reply := h.slowCall(ctx, sid, "1")
	waitFor(t, h.up.started, "the slow call")
	cancel()
	waitFor(t, h.up.cancelled, "the cancellation")
	waitFor(t, reply, "the client to give up")
	// The session itself lives on.
	if m := h.rpc(sid, 2, "ping", ""); m.Error != nil {
		t.Errorf("ping after a disconnect: %+v", m.Error)
	}
}

func TestSessionEndCancels(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	reply := h.slowCall(context.Background(), sid, "1")
	waitFor(t, h.up.started, "the slow call")
	h.gw.sessions.expire(time.Now().Add(time.Hour), time.Now().Add(time.Hour))
	waitFor(t, h.up.cancelled, "the cancellation")
	if m := waitFor(t, reply, "the reply"); m.Error == nil || m.Error.Code != -32800 {
		t.Errorf("reply %+v", m)
	}
	httpStatus(t, h.post(sid, `{"jsonrpc":"2.0","id":1,"method":"ping"}`), http.StatusNotFound, -32600)
}

func TestLegacyTransport(t *testing.T) {
	h := newHarness(t, Config{})
	sid, ev := openLegacy(t, h)
	send := func(body string, mods ...func(*http.Request)) *http.Response {
		r := h.request(http.MethodPost, "/messages?sessionId="+sid, body)
		for _, m := range mods {
			m(r)
		}
		return h.do(r)
	}
	accepted := func(body string) {
		t.Helper()
		if resp := send(body); resp.StatusCode != http.StatusAccepted {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("POST /messages: %d %s", resp.StatusCode, b)
		}
	}
	accepted(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{"sampling":{}},"clientInfo":{"name":"old","version":"1"}}}`)
	if m := ev.nextMsg(t); string(m.ID) != "1" || !strings.Contains(string(m.Result), `"protocolVersion":"2024-11-05"`) {
		t.Fatalf("initialize reply %+v", m)
	}
	accepted(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	accepted(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"util__progress","_meta":{"progressToken":"p"}}}`)
	var order []string
	for range 5 {
		m := ev.nextMsg(t)
		order = append(order, m.Method+string(m.ID))
	}
	if got := strings.Join(order, ","); got != "notifications/progress,notifications/progress,notifications/message,notifications/message,2" {
		t.Errorf("legacy stream: %s", got)
	}

	// Sampling over the legacy stream.
	accepted(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"util__sample"}}`)
	req := ev.nextMsg(t)
	if req.Method != "sampling/createMessage" {
		t.Fatalf("got %+v, want the sampling request", req)
	}
	accepted(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{"role":"assistant","content":{"type":"text","text":"old hi"},"model":"m"}}`)
	var got struct {
		Answer struct{ Content struct{ Text string } }
	}
	toolText(t, ev.nextMsg(t), &got)
	if got.Answer.Content.Text != "old hi" {
		t.Errorf("sampling answer %+v", got)
	}

	// Cancellation of a call in flight.
	accepted(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"util__slow"}}`)
	waitFor(t, h.up.started, "the slow call")
	accepted(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4}}`)
	waitFor(t, h.up.cancelled, "the cancellation")
	if m := ev.nextMsg(t); m.Error == nil || m.Error.Code != -32800 {
		t.Errorf("cancelled call: %+v", m)
	}

	httpStatus(t, send(`{"jsonrpc":"2.0",`), http.StatusBadRequest, -32700)
	httpStatus(t, send(`{"jsonrpc":"2.0","id":5,"method":"ping"}`, withKey(bobKey)), http.StatusNotFound, -32600)
	r := h.request(http.MethodPost, "/messages?sessionId=nope", `{"jsonrpc":"2.0","id":5,"method":"ping"}`)
	httpStatus(t, h.do(r), http.StatusNotFound, -32600)
	r = h.request(http.MethodPost, "/messages", `{"jsonrpc":"2.0","id":5,"method":"ping"}`)
	httpStatus(t, h.do(r), http.StatusNotFound, -32600)

	// list_changed reaches legacy sessions too.
	h.router.Set("laptop", laptopBackends("read", "write"))
	if m := ev.nextMsg(t); m.Method != "notifications/tools/list_changed" {
		t.Errorf("got %+v", m)
	}
}

// TestConcurrentSessions runs calls, list changes and session ends at once, for -race.
func TestConcurrentSessions(t *testing.T) {
	h := newHarness(t, Config{})
	var sids []string
	var streams []*events
	for range 4 {
		sid := h.initialize("2025-11-25", "")
		sids = append(sids, sid)
		streams = append(streams, h.openStream(sid))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			h.router.Set("laptop", laptopBackends("read", fmt.Sprint("t", i)))
		}
	}()
	errs := make(chan error, 64)
	var calls sync.WaitGroup
	for i, sid := range sids {
		for j := range 4 {
			calls.Go(func() {
				tool := []string{"util__echo", "util__progress"}[j%2]
				r := h.request(http.MethodPost, "/mcp", fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q}}`, j, tool))
				r.Header.Set(headerSession, sid)
				resp, err := h.client.Do(r)
				if err != nil {
					errs <- err
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"content"`) {
					errs <- fmt.Errorf("session %d call %d: %d %s", i, j, resp.StatusCode, b)
				}
			})
		}
	}
	calls.Wait()
	<-done
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, ev := range streams {
		if m := ev.nextMsg(t); m.Method != "notifications/tools/list_changed" {
			t.Errorf("stream %d got %+v", i, m)
		}
	}
	var ends sync.WaitGroup
	for _, sid := range sids {
		ends.Go(func() {
			r := h.request(http.MethodDelete, "/mcp", "")
			r.Header.Set(headerSession, sid)
			if resp, err := h.client.Do(r); err == nil {
				resp.Body.Close()
			}
		})
	}
	ends.Wait()
	if n := h.gw.Sessions(); n != 0 {
		t.Errorf("%d sessions left", n)
	}
}

// TestWriteEvent: every JSON line end becomes an SSE line end, so the data lines a
// spec-compliant reader joins with LF give the message back up to whitespace.
func TestWriteEvent(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{`{"a":1}`, "event: message\ndata: {\"a\":1}\n\n"},
		{"{\n\"a\":1}", "event: message\ndata: {\ndata: \"a\":1}\n\n"},
		{"{\r\n\"a\":1}\r\n", "event: message\ndata: {\ndata: \"a\":1}\ndata: \n\n"},
		{"{\r\"a\":1}", "event: message\ndata: {\ndata: \"a\":1}\n\n"},
		{"{\r\r\n\n\"a\":1}", "event: message\ndata: {\ndata: \ndata: \ndata: \"a\":1}\n\n"},
	} {
		rec := httptest.NewRecorder()
		if err := writeEvent(rec, []byte(c.msg)); err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != c.want {
			t.Errorf("writeEvent(%q) = %q, want %q", c.msg, got, c.want)
		}
		ev := newEvents(strings.NewReader(rec.Body.String()))
		if e, ok := ev.next(t, time.Second); !ok || !json.Valid([]byte(e.data)) {
			t.Errorf("writeEvent(%q): read back %q", c.msg, e.data)
		}
	}
}

// TestRepliesKeepTheirBytes: replies are encoded into pooled buffers, reused once written;
// calls at once, with results from a few bytes to past net/http's buffers, each get their
// own result whole.
func TestRepliesKeepTheirBytes(t *testing.T) {
	h := newHarness(t, Config{})
	sid := h.initialize("2025-11-25", "")
	errs := make(chan error, 64)
	var calls sync.WaitGroup
	for g := range 8 {
		calls.Go(func() {
			for i := range 25 {
				msg := fmt.Sprintf("g%d-i%d-", g, i) + strings.Repeat(string(rune('a'+g)), (g*25+i)*97)
				r := h.request(http.MethodPost, "/mcp", fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"util__echo","arguments":{"message":%q}}}`, i, msg))
				r.Header.Set(headerSession, sid)
				resp, err := h.client.Do(r)
				if err != nil {
					errs <- err
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var out struct {
					ID     int `json:"id"`
					Result struct {
						Content []struct{ Text string } `json:"content"`
					} `json:"result"`
				}
				if err := json.Unmarshal(b, &out); err != nil || out.ID != i || len(out.Result.Content) != 1 ||
					!strings.Contains(out.Result.Content[0].Text, strconv.Quote(msg)) {
					errs <- fmt.Errorf("call %d of %d: %d %.200s (%v)", i, g, resp.StatusCode, b, err)
					return
				}
			}
		})
	}
	calls.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
