package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Keys of the test callers. They only need to be unique: testKeys is a plain map.
const (
	aliceKey = "mcpgw_alice_0123456789abcdefghijklmnopqrstuvwxyzABCD"
	bobKey   = "mcpgw_bob_0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
	agentKey = "mcpgw_agent_0123456789abcdefghijklmnopqrstuvwxyzABCD"
	carolKey = "mcpgw_carol_0123456789abcdefghijklmnopqrstuvwxyzABCD" // alice's key for the application "cursor"
)

type testKeys map[string]auth.Identity

func (k testKeys) Lookup(plaintext string) (auth.Identity, bool) {
	id, ok := k[plaintext]
	return id, ok
}

var keys = testKeys{
	aliceKey: {KeyID: "k-alice", UserID: "u-alice", Name: "alice", Role: "admin", Kind: "user", Scope: "all"},
	bobKey:   {KeyID: "k-bob", UserID: "u-bob", Name: "bob", Role: "developer", Kind: "user", Scope: "all"},
	carolKey: {KeyID: "k-carol", UserID: "u-alice", Name: "alice", Role: "admin", Kind: "user", Application: "cursor", Scope: "all"},
	agentKey: {KeyID: "k-agent", Name: "laptop", Kind: "agent", AgentID: "laptop"},
}

// upCall is one call the fake upstream received.
type upCall struct {
	Target             router.Target
	Method             string
	Params             json.RawMessage
	Caller             protocol.Caller
	Owner              string
	ClientCapabilities json.RawMessage
	PassInputRequired  bool
	LogLevel           string
}

// fakeUpstream is a test double for the transport behind the gateway (the tunnel to an
// agent, or a hub-local MCP backend). Those are tested end to end in e2e/ and
// shared/backend; here it stands in so each gateway behaviour (name rewriting, progress,
// server→client requests, cancellation, upstream errors) can be triggered on purpose and
// observed from both ends. It dispatches on the original (backend-side) tool name.
type fakeUpstream struct {
	started   chan string // name of a "slow" call, once it runs
	cancelled chan string // name of a "slow" call, once its context ended

	mu    sync.Mutex
	calls []upCall
}

func newFakeUpstream() *fakeUpstream {
	return &fakeUpstream{started: make(chan string, 16), cancelled: make(chan string, 16)}
}

func (u *fakeUpstream) last() upCall {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.calls) == 0 {
		return upCall{}
	}
	return u.calls[len(u.calls)-1]
}

func (u *fakeUpstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.calls)
}

// textResult is a tools/call result whose one text content is v as JSON.
func textResult(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	out, _ := json.Marshal(map[string]any{"content": []any{map[string]any{"type": "text", "text": string(b)}}})
	return out
}

func (u *fakeUpstream) Call(ctx context.Context, t router.Target, c *backend.Call) (*jsonrpc.Response, error) {
	req, caller, sink := c.Request, c.Caller, c.Sink
	u.mu.Lock()
	u.calls = append(u.calls, upCall{Target: t, Method: req.Method, Params: req.Params, Caller: caller,
		Owner: c.Owner, ClientCapabilities: c.ClientCapabilities, PassInputRequired: c.PassInputRequired, LogLevel: c.LogLevel})
	u.mu.Unlock()
	ok := func(res json.RawMessage) (*jsonrpc.Response, error) {
		return &jsonrpc.Response{ID: req.ID, Result: res}, nil
	}
	switch req.Method {
	case "resources/read":
		var p struct {
			URI string `json:"uri"`
		}
		_ = json.Unmarshal(req.Params, &p)
		b, _ := json.Marshal(map[string]any{"contents": []any{
			map[string]any{"uri": p.URI, "mimeType": "text/plain", "text": "hello"},
			map[string]any{"uri": "file:///other.txt", "text": "other"},
		}})
		return ok(b)
	case "tools/call":
	default:
		return ok(textResult(map[string]any{"target": t, "params": req.Params}))
	}
	var p struct {
		Meta struct {
			ProgressToken any `json:"progressToken"`
		} `json:"_meta"`
	}
	_ = json.Unmarshal(req.Params, &p)
	switch t.Name {
	case "slow":
		u.started <- t.Name
		<-ctx.Done()
		u.cancelled <- t.Name
		return nil, fmt.Errorf("call: %w", ctx.Err())
	case "progress":
		// A real backend relays these from its reader goroutine, before the result.
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 1; i <= 2; i++ {
				b, _ := json.Marshal(map[string]any{"progressToken": p.Meta.ProgressToken, "progress": i, "total": 2})
				sink.Notify(&jsonrpc.Request{Method: "notifications/progress", Params: b})
			}
			for _, level := range []string{"info", "error"} {
				b, _ := json.Marshal(map[string]any{"level": level, "data": "log at " + level})
				sink.Notify(&jsonrpc.Request{Method: "notifications/message", Params: b})
			}
		})
		wg.Wait()
		// Results pass through raw: a backend may well indent them, with any of the line
		// ends JSON allows as whitespace (LF, CRLF, a lone CR), and each is a line end in SSE.
		return ok(json.RawMessage("{\n  \"content\": [\r\n    {\"type\": \"text\",\r\"text\": \"\\\"done\\\"\"}\n  ]\n}\n"))
	case "sample":
		id, _ := jsonrpc.MakeID("backend-1")
		resp, err := sink.Request(ctx, &jsonrpc.Request{ID: id, Method: "sampling/createMessage",
			Params: json.RawMessage(`{"messages":[{"role":"user","content":{"type":"text","text":"say hi"}}],"maxTokens":10}`)})
		if err != nil {
			if ctx.Err() != nil {
				select {
				case u.cancelled <- "sample":
				default:
				}
			}
			return nil, err
		}
		if resp.Error != nil {
			return ok(textResult(map[string]any{"refused": resp.Error.Error()}))
		}
		return ok(textResult(map[string]any{"answer": resp.Result}))
	case "fail":
		return nil, errors.New(`agent "laptop" is not connected`)
	case "meta":
		// A backend that names itself in _meta, beside a key of its own.
		return ok(json.RawMessage(`{"content":[],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"backend","version":"0"},"vendor/key":1}}`))
	case "asks":
		// What a legacy go-sdk server returns when a tool asks again after the one round it
		// fulfils itself: its own inputRequests and requestState, and no resultType.
		return ok(json.RawMessage(`{"content":[],"inputRequests":{"step2":{"method":"elicitation/create","params":{"message":"color?"}}},"requestState":"round=2"}`))
	case "ask2":
		// Two requests at once, the second a moment after the first, as a server's
		// goroutines send them one after the other on the wire.
		answers := make([]json.RawMessage, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() {
				if i == 1 {
					time.Sleep(300 * time.Millisecond) // the second request's lag: the thing under test
				}
				id, _ := jsonrpc.MakeID(fmt.Sprintf("b-%d", i+1))
				resp, err := sink.Request(ctx, &jsonrpc.Request{ID: id, Method: "elicitation/create",
					Params: json.RawMessage(fmt.Sprintf(`{"message":"question %d"}`, i+1))})
				if err == nil && resp.Error != nil {
					err = resp.Error
				}
				if err == nil {
					answers[i] = resp.Result
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		return ok(textResult(map[string]any{"answers": answers}))
	}
	return ok(textResult(map[string]any{"target": t, "params": req.Params, "caller": caller}))
}

// Objects of the routing table.
func item(key, val string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{key: val, "description": "about " + val,
		"inputSchema": map[string]any{"type": "object"}})
	return b
}

func items(key string, vals ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(vals))
	for i, v := range vals {
		out[i] = item(key, v)
	}
	return out
}

// hubBackends is the hub-local backend "util": exposed as util__echo and so on.
func hubBackends() []protocol.Backend {
	return []protocol.Backend{{
		Name: "util", Transport: "stdio", State: protocol.StateReady,
		Tools:     items("name", "echo", "slow", "progress", "sample", "fail"),
		Prompts:   items("name", "greet"),
		Resources: items("uri", "file:///a.txt"),
	}}
}

// laptopBackends are agent laptop's backends: exposed as laptop__fs__read.
func laptopBackends(tools ...string) []protocol.Backend {
	if len(tools) == 0 {
		tools = []string{"read"}
	}
	return []protocol.Backend{
		{Name: "fs", Transport: "stdio", State: protocol.StateReady, Tools: items("name", tools...)},
		{Name: "broken", Transport: "stdio", State: protocol.StateFailed, Tools: items("name", "never")},
	}
}

// harness is a real gateway on a loopback httptest server with a real router.
type harness struct {
	t      *testing.T
	srv    *httptest.Server
	url    string
	gw     *Gateway
	router *router.Router
	up     *fakeUpstream
	client *http.Client
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, up: newFakeUpstream()}
	h.router = router.New(func(c router.Changes) {
		if h.gw != nil {
			h.gw.ListChanged(c)
		}
	})
	h.router.Set("", hubBackends())
	h.router.Set("laptop", laptopBackends())
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = time.Hour
	}
	h.gw = New(cfg, keys, h.router, h.up, slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	h.gw.Mount(mux)
	h.srv = httptest.NewServer(mux)
	h.url = h.srv.URL
	h.client = h.srv.Client()
	t.Cleanup(h.srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = h.gw.Run(ctx); close(done) }()
	// Runs before srv.Close: ending every session ends the open streams, which Close waits for.
	t.Cleanup(func() {
		cancel()
		<-done
		h.srv.CloseClientConnections()
	})
	return h
}

// request builds a request to the gateway as alice, accepting JSON and SSE.
func (h *harness) request(method, path, body string) *http.Request {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+aliceKey)
	r.Header.Set("Accept", "application/json, text/event-stream")
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

func (h *harness) do(r *http.Request) *http.Response {
	h.t.Helper()
	resp, err := h.client.Do(r)
	if err != nil {
		h.t.Fatalf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// post sends body to /mcp in session sid ("" for none).
func (h *harness) post(sid, body string, mods ...func(*http.Request)) *http.Response {
	h.t.Helper()
	r := h.request(http.MethodPost, "/mcp", body)
	if sid != "" {
		r.Header.Set(headerSession, sid)
	}
	for _, m := range mods {
		m(r)
	}
	return h.do(r)
}

func withHeader(k, v string) func(*http.Request) {
	return func(r *http.Request) {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
}

func withKey(key string) func(*http.Request) {
	if key == "" {
		return withHeader("Authorization", "")
	}
	return withHeader("Authorization", "Bearer "+key)
}

// initialize opens a session with the given protocol version and client capabilities.
func (h *harness) initialize(version, caps string, mods ...func(*http.Request)) string {
	h.t.Helper()
	if caps == "" {
		caps = "{}"
	}
	resp := h.post("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"`+version+
		`","capabilities":`+caps+`,"clientInfo":{"name":"test","version":"1"}}}`, mods...)
	m := h.reply(resp)
	if m.Error != nil {
		h.t.Fatalf("initialize: %+v", m.Error)
	}
	sid := resp.Header.Get(headerSession)
	if sid == "" {
		h.t.Fatal("initialize returned no Mcp-Session-Id")
	}
	r := h.post(sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, mods...)
	if r.StatusCode != http.StatusAccepted {
		h.t.Fatalf("notifications/initialized: status %d", r.StatusCode)
	}
	return sid
}

// rpcMsg is any JSON-RPC message as the tests read it.
type rpcMsg struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

func decodeMsg(t *testing.T, b []byte) rpcMsg {
	t.Helper()
	var m rpcMsg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	if m.JSONRPC != "2.0" {
		t.Fatalf("message without jsonrpc 2.0: %s", b)
	}
	return m
}

// messages returns every JSON-RPC message of a reply, JSON or SSE, read to its end.
func (h *harness) messages(resp *http.Response) []rpcMsg {
	h.t.Helper()
	ct := resp.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			h.t.Fatal(err)
		}
		return []rpcMsg{decodeMsg(h.t, b)}
	case strings.HasPrefix(ct, "text/event-stream"):
		var out []rpcMsg
		ev := newEvents(resp.Body)
		for {
			e, ok := ev.next(h.t, 5*time.Second)
			if !ok {
				return out
			}
			out = append(out, decodeMsg(h.t, []byte(e.data)))
		}
	}
	b, _ := io.ReadAll(resp.Body)
	h.t.Fatalf("reply status %d, Content-Type %q: %s", resp.StatusCode, ct, b)
	return nil
}

// reply returns the one message of a reply, which must be the last of its stream.
func (h *harness) reply(resp *http.Response) rpcMsg {
	h.t.Helper()
	ms := h.messages(resp)
	if len(ms) == 0 {
		h.t.Fatal("empty reply")
	}
	return ms[len(ms)-1]
}

// rpc sends a request in session sid and returns its reply.
func (h *harness) rpc(sid string, id int, method, params string) rpcMsg {
	h.t.Helper()
	if params == "" {
		params = "{}"
	}
	resp := h.post(sid, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params))
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("%s: status %d: %s", method, resp.StatusCode, b)
	}
	m := h.reply(resp)
	if string(m.ID) != fmt.Sprint(id) {
		h.t.Fatalf("%s: reply id %s, want %d", method, m.ID, id)
	}
	return m
}

// toolText returns the text of a tools/call result's first content, decoded into v.
func toolText(t *testing.T, m rpcMsg, v any) {
	t.Helper()
	if m.Error != nil {
		t.Fatalf("tools/call failed: %+v", *m.Error)
	}
	var res struct {
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(m.Result, &res); err != nil || len(res.Content) == 0 {
		t.Fatalf("tools/call result %s: %v", m.Result, err)
	}
	if err := json.Unmarshal([]byte(res.Content[0].Text), v); err != nil {
		t.Fatalf("tool text %q: %v", res.Content[0].Text, err)
	}
}

// httpStatus checks a reply's status and, for errors, its JSON-RPC error body.
func httpStatus(t *testing.T, resp *http.Response, status, code int) {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, b)
	}
	if code == 0 {
		return
	}
	m := decodeMsg(t, b)
	if m.Error == nil || m.Error.Code != code {
		t.Fatalf("body %s, want error code %d", b, code)
	}
	if string(m.ID) != "null" {
		t.Errorf("error body id %s, want null", m.ID)
	}
}

// event is one server-sent event.
type event struct{ name, data string }

// events reads server-sent events from a stream in the background.
type events struct {
	ch chan event
}

func newEvents(r io.Reader) *events {
	e := &events{ch: make(chan event, 64)}
	go func() {
		defer close(e.ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<16), 1<<22)
		sc.Split(sseLines)
		var cur event
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if data != nil {
					cur.data = strings.Join(data, "\n")
					e.ch <- cur
				}
				cur, data = event{}, nil
			case strings.HasPrefix(line, ":"):
			case strings.HasPrefix(line, "event:"):
				cur.name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			}
		}
	}()
	return e
}

// sseLines splits lines as the SSE spec does: at CRLF, LF or a lone CR.
func sseLines(data []byte, atEOF bool) (int, []byte, error) {
	i := bytes.IndexAny(data, "\r\n")
	switch {
	case i < 0:
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	case data[i] == '\n':
		return i + 1, data[:i], nil
	case i+1 < len(data):
		if data[i+1] == '\n' {
			return i + 2, data[:i], nil
		}
		return i + 1, data[:i], nil
	case atEOF:
		return i + 1, data[:i], nil
	}
	return 0, nil, nil // a CR at the end of the buffer: wait to see whether LF follows
}

// next returns the next event; false at the end of the stream.
func (e *events) next(t *testing.T, timeout time.Duration) (event, bool) {
	t.Helper()
	select {
	case ev, ok := <-e.ch:
		return ev, ok
	case <-time.After(timeout):
		t.Fatalf("no event within %v", timeout)
		return event{}, false
	}
}

// nextMsg returns the next event's JSON-RPC message.
func (e *events) nextMsg(t *testing.T) rpcMsg {
	t.Helper()
	ev, ok := e.next(t, 5*time.Second)
	if !ok {
		t.Fatal("stream ended")
	}
	return decodeMsg(t, []byte(ev.data))
}

// waitFor receives from ch or fails after a few seconds.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
