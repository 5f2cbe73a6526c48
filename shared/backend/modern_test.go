package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

func TestModernBackend(t *testing.T) {
	server := startConformance(t, true)
	front, rec := recordingProxy(t, server.url)
	b := start(t, Config{Name: "modern", Transport: TransportHTTP, URL: front},
		Options{BackoffBase: 50 * time.Millisecond})

	snap := b.Snapshot()
	if snap.ProtocolVersion != modernVersion || !b.sess.Load().modern {
		t.Fatalf("era: protocolVersion %q", snap.ProtocolVersion)
	}
	if !strings.Contains(string(snap.ServerInfo), "mcp-conformance-test-server") || len(snap.Prompts) == 0 || len(snap.Resources) == 0 {
		t.Errorf("snapshot: serverInfo %s, %d prompts, %d resources", snap.ServerInfo, len(snap.Prompts), len(snap.Resources))
	}
	if !hasTool(snap, "test_simple_text") {
		t.Fatalf("tools: %v", toolNames(snap))
	}

	t.Run("call", func(t *testing.T) {
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, "m1", "test_simple_text", map[string]any{}, nil), Sink: newSink(nil)})
		if got := resultText(t, resp, err); !strings.Contains(got, "simple text") || resp.ID.Raw() != "m1" {
			t.Errorf("got %q id %v", got, resp.ID.Raw())
		}
		// Over HTTP every request names the client, a client's call too (TestModernStdioClientInfo).
		for _, r := range rec.all() {
			if r.method == http.MethodPost && !r.metaClientInfo {
				t.Errorf("%s %q without clientInfo", r.rpcMethod, r.tool)
			}
		}
	})

	// The log level travels per call: the client's, none when it wants none (the server then
	// sends no log message), everything when it is not known.
	t.Run("log level", func(t *testing.T) {
		for i, c := range []struct{ level, meta string }{{"", `"debug"`}, {LogNone, ""}, {"error", `"error"`}, {"info", `"info"`}} {
			sink := newSink(nil)
			id := fmt.Sprintf("log-%d", i)
			resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, id, "test_tool_with_logging", map[string]any{}, nil),
				Sink: sink, LogLevel: c.level})
			resultText(t, resp, err)
			logs := 0
			for len(sink.notes) > 0 {
				if n := <-sink.notes; n.Method == "notifications/message" {
					logs++
				}
			}
			var sent []string
			for _, r := range rec.all() {
				if r.tool == "test_tool_with_logging" {
					sent = append(sent, r.metaLogLevel)
				}
			}
			if len(sent) != i+1 || sent[i] != c.meta {
				t.Errorf("LogLevel %q: the server was asked for %v (last should be %q)", c.level, sent, c.meta)
			}
			switch {
			case c.level == LogNone && logs != 0:
				t.Errorf("LogLevel none: %d log messages reached the sink", logs)
			case c.level == "" && logs == 0:
				t.Errorf("LogLevel unknown: no log message reached the sink")
			}
		}
	})

	t.Run("progress", func(t *testing.T) {
		sink := newSink(nil)
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 2, "test_tool_with_progress", map[string]any{},
			map[string]any{"progressToken": "tok-7"}), Sink: sink})
		resultText(t, resp, err)
		if len(sink.notes) != 3 {
			t.Fatalf("%d progress notifications, want 3", len(sink.notes))
		}
		if n := <-sink.notes; !strings.Contains(string(n.Params), `"progressToken":"tok-7"`) {
			t.Errorf("progress with the caller's token expected: %s", n.Params)
		}
	})

	t.Run("cancellation", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		sink := newSink(nil)
		done := make(chan error, 1)
		go func() {
			_, err := b.Call(ctx, &Call{Request: toolCall(t, 3, "test_tool_with_progress", map[string]any{},
				map[string]any{"progressToken": 1}), Sink: sink})
			done <- err
		}()
		<-sink.notes // running
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("call did not return after cancel")
		}
	})

	t.Run("sampling through input_required", func(t *testing.T) {
		sink := newSink(func(req *jsonrpc.Request) (*jsonrpc.Response, error) {
			return &jsonrpc.Response{Result: json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"Paris"},"model":"m","stopReason":"endTurn"}`)}, nil
		})
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 4, "test_input_required_result_sampling", map[string]any{}, nil), Sink: sink})
		if got := resultText(t, resp, err); got != "Sampling response: Paris" {
			t.Errorf("got %q", got)
		}
		req := <-sink.requests
		if req.Method != "sampling/createMessage" || !strings.Contains(string(req.Params), "capital of France") {
			t.Errorf("the sink was asked %s %s", req.Method, req.Params)
		}
	})

	t.Run("elicitation over several rounds with requestState", func(t *testing.T) {
		sink := newSink(func(req *jsonrpc.Request) (*jsonrpc.Response, error) {
			content := `{"name":"Ada"}`
			if strings.Contains(string(req.Params), "color") {
				content = `{"color":"green"}`
			}
			return &jsonrpc.Response{Result: json.RawMessage(`{"action":"accept","content":` + content + `}`)}, nil
		})
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 5, "test_input_required_result_multi_round", map[string]any{}, nil), Sink: sink})
		if got := resultText(t, resp, err); got != "Multi-round complete: Ada likes green" {
			t.Errorf("got %q", got)
		}
		if len(sink.requests) != 2 {
			t.Errorf("%d requests to the client, want 2", len(sink.requests))
		}
	})

	t.Run("three kinds of input in one round", func(t *testing.T) {
		sink := newSink(func(req *jsonrpc.Request) (*jsonrpc.Response, error) {
			answers := map[string]string{
				"elicitation/create":     `{"action":"accept","content":{"name":"Ada"}}`,
				"sampling/createMessage": `{"role":"assistant","content":{"type":"text","text":"Hello"},"model":"m"}`,
				"roots/list":             `{"roots":[{"uri":"file:///a"},{"uri":"file:///b"}]}`,
			}
			return &jsonrpc.Response{Result: json.RawMessage(answers[req.Method])}, nil
		})
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 12, "test_input_required_result_multiple_inputs", map[string]any{}, nil), Sink: sink})
		if got := resultText(t, resp, err); got != "Hello Ada — 2 root(s) visible" {
			t.Errorf("got %q", got)
		}
	})

	t.Run("a refusal by the client reaches the caller", func(t *testing.T) {
		sink := newSink(func(*jsonrpc.Request) (*jsonrpc.Response, error) {
			return nil, &jsonrpc.Error{Code: -1, Message: "user said no"}
		})
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 6, "test_input_required_result_sampling", map[string]any{}, nil), Sink: sink})
		if err != nil || resp.Error == nil || !strings.Contains(resp.Error.Error(), "user said no") || fmt.Sprint(resp.ID.Raw()) != "6" {
			t.Errorf("got %+v, %v", resp, err)
		}
	})

	t.Run("cancellation while the client is asked", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		asked := make(chan struct{})
		sink := &blockingSink{asked: asked}
		done := make(chan error, 1)
		go func() {
			_, err := b.Call(ctx, &Call{Request: toolCall(t, 7, "test_input_required_result_sampling", map[string]any{}, nil), Sink: sink})
			done <- err
		}()
		<-asked
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("call did not return after cancel")
		}
	})

	t.Run("no client to ask", func(t *testing.T) {
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 8, "test_input_required_result_sampling", map[string]any{}, nil)})
		if err != nil || resp.Error == nil || !strings.Contains(resp.Error.Error(), "no client to ask") {
			t.Errorf("got %+v, %v", resp, err)
		}
	})

	t.Run("passthrough to a modern client", func(t *testing.T) {
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 9, "test_input_required_result_sampling", map[string]any{}, nil), Sink: newSink(nil), PassInputRequired: true})
		if err != nil || resp.Error != nil || !strings.Contains(string(resp.Result), `"inputRequests"`) {
			t.Errorf("got %+v, %v", resp, err)
		}
	})

	t.Run("list changed through subscriptions/listen", func(t *testing.T) {
		before := b.relists.Load()
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 10, "test_trigger_tool_change", map[string]any{}, nil)})
		resultText(t, resp, err)
		waitFor(t, 10*time.Second, "the new tool in the snapshot", func() bool {
			return b.relists.Load() > before && hasTool(b.Snapshot(), "__transient_tool_for_list_changed")
		})
	})

	t.Run("wire", func(t *testing.T) {
		methods := map[string]bool{}
		for _, r := range rec.all() {
			methods[r.rpcMethod] = true
			if r.method != http.MethodPost {
				t.Errorf("%s %s: the stateless era has no GET stream", r.method, r.path)
				continue
			}
			if r.metaVersion != modernVersion {
				t.Errorf("POST %s: _meta protocol version %q", r.rpcMethod, r.metaVersion)
			}
			if v := r.header.Get("Mcp-Protocol-Version"); v != modernVersion || r.header.Get("Mcp-Method") != r.rpcMethod || r.header.Get("Mcp-Session-Id") != "" {
				t.Errorf("POST %s: version %q, method header %q, session %q", r.rpcMethod, v, r.header.Get("Mcp-Method"), r.header.Get("Mcp-Session-Id"))
			}
		}
		for _, m := range []string{"server/discover", "subscriptions/listen", "tools/list", "tools/call"} {
			if !methods[m] {
				t.Errorf("no %s seen", m)
			}
		}
		if methods["initialize"] || methods["logging/setLevel"] {
			t.Errorf("legacy methods sent to a modern server: %v", methods)
		}
	})

	// The listen stream doubles as the liveness check: a server that goes away is noticed,
	// and the backend comes back, modern again, once the server does.
	t.Run("restart", func(t *testing.T) {
		server.kill()
		waitFor(t, 60*time.Second, "the session to be lost", func() bool { return b.sess.Load() == nil })
		server.launch()
		b.waitReady(t)
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 11, "test_simple_text", map[string]any{}, nil)})
		if got := resultText(t, resp, err); !strings.Contains(got, "simple text") || !b.sess.Load().modern {
			t.Errorf("after restart: %q", got)
		}
	})
}

// The stateful conformance server answers server/discover without the stateless version:
// the backend falls back to initialize and keeps the legacy path.
func TestStatefulServerStaysLegacy(t *testing.T) {
	b := start(t, Config{Name: "stateful", Transport: TransportHTTP, URL: conformanceServer(t, false)},
		Options{BackoffBase: 50 * time.Millisecond})
	if v := b.Snapshot().ProtocolVersion; v != protocolVersion || b.sess.Load().modern {
		t.Fatalf("protocolVersion %q", v)
	}
	sink := newSink(func(*jsonrpc.Request) (*jsonrpc.Response, error) {
		return &jsonrpc.Response{Result: json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"legacy"},"model":"m"}`)}, nil
	})
	resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "test_sampling", map[string]any{"prompt": "p"}, nil), Sink: sink})
	if got := resultText(t, resp, err); !strings.Contains(got, "legacy") {
		t.Errorf("sampling: %q", got)
	}
}

// A legacy session is initialized once with the hub's capabilities, for every client; each
// call carries its own client's in _meta, and a server that reads them (go-sdk ≥ 1.8 reads
// them before the session's) acts on what that client declared: test_missing_capability
// runs for a client with sampling and is refused (-32021) for one without. Both ways, and a
// call with no client capabilities (the backend's own) still sees the session's.
// errCode is the code of an error response, 0 for a result.
func errCode(resp *jsonrpc.Response) int64 {
	var we *jsonrpc.Error
	if resp == nil || !errors.As(resp.Error, &we) {
		return 0
	}
	return we.Code
}

// show is a response for a test's message.
func show(resp *jsonrpc.Response) string {
	if resp == nil {
		return "no response"
	}
	if resp.Error != nil {
		return "error " + resp.Error.Error()
	}
	return "result " + string(resp.Result)
}

func TestLegacyBackendSeesTheClientsCapabilities(t *testing.T) {
	b := start(t, Config{Name: "stateful", Transport: TransportHTTP, URL: conformanceServer(t, false)},
		Options{BackoffBase: 50 * time.Millisecond})
	if b.sess.Load().modern {
		t.Fatal("a stateful go-sdk server should be spoken to in the legacy era")
	}
	call := func(id int, caps string, meta map[string]any) (*jsonrpc.Response, error) {
		c := &Call{Request: toolCall(t, id, "test_missing_capability", map[string]any{}, meta), Sink: newSink(nil)}
		if caps != "" {
			c.ClientCapabilities = json.RawMessage(caps)
		}
		return b.Call(context.Background(), c)
	}
	resp, err := call(1, `{}`, nil)
	if err != nil || errCode(resp) != -32021 {
		t.Errorf("client without sampling: %s %v, want the server's -32021", show(resp), err)
	}
	// The client's own _meta keys stay; a reserved key it sent itself is replaced.
	resp, err = call(2, `{}`, map[string]any{"progressToken": "p", metaClientCapabilities: map[string]any{"sampling": map[string]any{}}})
	if err != nil || errCode(resp) != -32021 {
		t.Errorf("client without sampling that claims it in _meta: %s %v, want -32021", show(resp), err)
	}
	resp, err = call(3, `{"sampling":{}}`, nil)
	if got := resultText(t, resp, err); !strings.Contains(got, "sampling capability") {
		t.Errorf("client with sampling: %q", got)
	}
	resp, err = call(4, "", nil)
	if got := resultText(t, resp, err); !strings.Contains(got, "sampling capability") {
		t.Errorf("no client capabilities (the session's apply): %q", got)
	}
}

// Over stdio the conformance server speaks the stateless era too: the same bridging, and
// subscriptions/listen on the shared pipe.
func TestModernStdio(t *testing.T) {
	b := start(t, Config{Name: "modern-stdio", Transport: TransportStdio, Command: conformanceBinary(t)}, Options{})
	if v := b.Snapshot().ProtocolVersion; v != modernVersion {
		t.Fatalf("protocolVersion %q", v)
	}
	sink := newSink(func(*jsonrpc.Request) (*jsonrpc.Response, error) {
		return &jsonrpc.Response{Result: json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"Lyon"},"model":"m"}`)}, nil
	})
	resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "test_input_required_result_sampling", map[string]any{}, nil), Sink: sink})
	if got := resultText(t, resp, err); got != "Sampling response: Lyon" {
		t.Errorf("got %q", got)
	}
	before := b.relists.Load()
	resp, err = b.Call(context.Background(), &Call{Request: toolCall(t, 2, "test_trigger_prompt_change", map[string]any{}, nil)})
	resultText(t, resp, err)
	waitFor(t, 10*time.Second, "the prompts to be listed again", func() bool { return b.relists.Load() > before })
}

// Over stdio the clientInfo goes with the session's own requests, not with a client's calls
// (requestMeta says why). What the server reads is recorded by a tee in front of it.
func TestModernStdioClientInfo(t *testing.T) {
	for _, tool := range []string{"sh", "tee"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	stdin := filepath.Join(t.TempDir(), "stdin")
	b := start(t, Config{Name: "info-stdio", Transport: TransportStdio, Command: "sh",
		Args: []string{"-c", `tee -a "$0" | exec "$1"`, stdin, conformanceBinary(t)}}, Options{})
	if v := b.Snapshot().ProtocolVersion; v != modernVersion {
		t.Fatalf("protocolVersion %q", v)
	}
	resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, "with-client", "test_simple_text", map[string]any{}, nil),
		Sink: newSink(nil)})
	if got := resultText(t, resp, err); !strings.Contains(got, "simple text") {
		t.Fatalf("got %q", got)
	}
	resp, err = b.Call(context.Background(), &Call{Request: toolCall(t, "own", "test_simple_text", map[string]any{}, nil)})
	resultText(t, resp, err)
	// tee may write a line to the server before it writes it to the file: wait for both calls.
	var seen map[string]bool
	var calls []bool // the tools/call requests in order: the client's, then the backend's own
	waitFor(t, 30*time.Second, "both calls in the recorded stdin", func() bool {
		data, err := os.ReadFile(stdin)
		if err != nil {
			t.Fatal(err)
		}
		seen, calls = map[string]bool{}, nil
		for line := range strings.Lines(string(data)) {
			var m struct {
				ID     any
				Method string
				Params struct {
					Meta map[string]json.RawMessage `json:"_meta"`
				}
			}
			if json.Unmarshal([]byte(line), &m) != nil || m.ID == nil {
				continue
			}
			_, info := m.Params.Meta[metaClientInfo]
			if m.Method == "tools/call" {
				calls = append(calls, info)
			}
			seen[m.Method] = info
		}
		return len(calls) >= 2
	})
	for key, want := range map[string]bool{"server/discover": true, "tools/list": true} {
		if got, ok := seen[key]; !ok || got != want {
			t.Errorf("%s: clientInfo %v (sent: %v), want %v", key, got, ok, want)
		}
	}
	if len(calls) != 2 || calls[0] || !calls[1] {
		t.Errorf("tools/call with clientInfo: %v, want [false true] (a client's call without, the backend's own with)", calls)
	}
}

// era = "legacy" skips the probe: a dual-era server is spoken to with initialize, and its
// tools may send server→client requests.
func TestEraLegacyPinned(t *testing.T) {
	b := start(t, Config{Name: "pinned", Transport: TransportStdio, Command: conformanceBinary(t), Era: EraLegacy}, Options{})
	if v := b.Snapshot().ProtocolVersion; v != protocolVersion {
		t.Fatalf("protocolVersion %q", v)
	}
	sink := newSink(func(*jsonrpc.Request) (*jsonrpc.Response, error) {
		return &jsonrpc.Response{Result: json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"asked"},"model":"m"}`)}, nil
	})
	resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "test_sampling", map[string]any{"prompt": "p"}, nil), Sink: sink})
	if got := resultText(t, resp, err); !strings.Contains(got, "asked") {
		t.Errorf("sampling: %q", got)
	}
}

// resources/subscribe does not exist in the stateless era: the backend answers it and adds
// the URI to its subscriptions/listen stream, whose resources/updated become events.
func TestModernResourceSubscription(t *testing.T) {
	t.Parallel()
	server := startConformance(t, true)
	front, rec := recordingProxy(t, server.url)
	b := start(t, Config{Name: "subs", Transport: TransportHTTP, URL: front}, Options{BackoffBase: 50 * time.Millisecond})
	const uri = "test://watched-resource"
	for i := range 2 { // two clients: one unsubscribe must not end the other's updates
		resp, err := b.Call(context.Background(), &Call{Request: request(t, i+1, "resources/subscribe", map[string]string{"uri": uri})})
		if err != nil || resp.Error != nil || string(resp.Result) != "{}" {
			t.Fatalf("subscribe: %+v, %v", resp, err)
		}
	}
	resp, err := b.Call(context.Background(), &Call{Request: request(t, 3, "resources/unsubscribe", map[string]string{"uri": uri})})
	if err != nil || resp.Error != nil {
		t.Fatalf("unsubscribe: %+v, %v", resp, err)
	}
	waitUpdated(t, b, uri) // the server updates it every 3 s
	listens := 0
	for _, r := range rec.all() {
		if r.rpcMethod == "subscriptions/listen" {
			listens++
		}
		if r.rpcMethod == "resources/subscribe" || r.rpcMethod == "resources/unsubscribe" {
			t.Errorf("%s sent to a stateless server", r.rpcMethod)
		}
	}
	if listens < 1 || listens > 2 { // with the list changes, then with the resource added
		t.Errorf("%d subscriptions/listen requests, want 1 or 2", listens)
	}

	// The subscription outlives a reconnection.
	server.kill()
	waitFor(t, 10*time.Second, "the session to be lost", func() bool { return b.sess.Load() == nil })
	server.launch()
	b.waitReady(t)
	for len(b.events) > 0 {
		<-b.events
	}
	waitUpdated(t, b, uri)
}

// A stdio server that exits on the probe is restarted once and spoken to with initialize
// from then on.
func TestProbeThatKillsTheServer(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	script, _ := filepath.Abs("testdata/legacy_strict.py")
	b := start(t, Config{Name: "strict", Transport: TransportStdio, Command: python, Args: []string{script}}, Options{})
	if v := b.Snapshot().ProtocolVersion; v != protocolVersion || !hasTool(b.Snapshot(), "hello") || !b.legacyOnly.Load() {
		t.Fatalf("protocolVersion %q, tools %v, legacyOnly %v", v, toolNames(b.Snapshot()), b.legacyOnly.Load())
	}
	if !b.logs.contains("server/discover") {
		t.Error("the failed probe is not in the log")
	}
}

// A server that never stops asking: the call ends after maxInputRounds with an error.
func TestInputRoundsBounded(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil || req.ID == nil {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		result := `{"resultType":"complete"}`
		switch req.Method {
		case "server/discover":
			result = `{"resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":{"tools":{}}}`
		case "tools/list":
			result = `{"resultType":"complete","tools":[{"name":"ask","inputSchema":{"type":"object"}}]}`
		case "tools/call":
			calls.Add(1)
			result = `{"resultType":"input_required","inputRequests":{"again":{"method":"roots/list","params":{}}},"requestState":"s"}`
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, result)
	}))
	t.Cleanup(srv.Close)
	b := start(t, Config{Name: "greedy", Transport: TransportHTTP, URL: srv.URL}, Options{})
	sink := newSink(func(*jsonrpc.Request) (*jsonrpc.Response, error) {
		return &jsonrpc.Response{Result: json.RawMessage(`{"roots":[]}`)}, nil
	})
	sink.requests = make(chan *jsonrpc.Request, 100)
	resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "ask", map[string]any{}, nil), Sink: sink})
	if err != nil || resp.Error == nil || !strings.Contains(resp.Error.Error(), "more than 10 times") {
		t.Fatalf("got %+v, %v", resp, err)
	}
	if n := calls.Load(); n != maxInputRounds {
		t.Errorf("%d attempts, want %d", n, maxInputRounds)
	}
}

// Regression: a modern server that answers server/discover with 502 (a proxy in front of it
// while it restarts) was spoken to with initialize as soon as it was back, and stayed in the
// legacy era. A 502/503/504 now fails the attempt, and the next one finds the modern era.
func TestDiscoverUnavailableIsNotLegacy(t *testing.T) {
	target, err := url.Parse(conformanceServer(t, true))
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var refused atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte(`"server/discover"`)) && refused.Add(1) <= 2 {
			http.Error(w, "upstream restarting", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	b := start(t, Config{Name: "behind", Transport: TransportHTTP, URL: front.URL + "/mcp"},
		Options{BackoffBase: 20 * time.Millisecond})
	if refused.Load() < 3 {
		t.Fatalf("server/discover was asked %d times, want the two refused attempts and one more", refused.Load())
	}
	if !b.sess.Load().modern {
		t.Fatal("the backend fell back to the legacy era after a 502 on server/discover")
	}
}
