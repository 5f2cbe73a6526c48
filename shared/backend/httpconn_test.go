package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	gwmcp "github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// A legacy streamable-HTTP server may end a call's event stream before the answer and
// expect the client to resume it (SEP-1699: go-sdk's CloseSSEStream, with an event store):
// the connection asks for the rest with GET and Last-Event-ID and the call gets its result.
func TestHTTPStreamResumed(t *testing.T) {
	noLeaks(t)
	server := mcp.NewServer(&mcp.Implementation{Name: "resume", Version: "1"}, nil)
	server.AddTool(&mcp.Tool{Name: "later", InputSchema: map[string]any{"type": "object"}},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			req.Extra.CloseSSEStream(mcp.CloseSSEStreamArgs{RetryAfter: 10 * time.Millisecond})
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "after the break"}}}, nil
		})
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{EventStore: mcp.NewMemoryEventStore(nil)})
	var resumed atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.Header.Get("Last-Event-Id") != "" {
			resumed.Add(1)
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close) // after the backend stops (cleanups run last first)
	r := start(t, Config{Name: "resume", Transport: TransportHTTP, URL: srv.URL, Era: EraLegacy}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := r.Call(ctx, &Call{Request: toolCall(t, 1, "later", nil, nil)})
	if got := resultText(t, resp, err); got != "after the break" {
		t.Errorf("result %q", got)
	}
	if resumed.Load() == 0 {
		t.Error("the call's stream was never resumed with GET and Last-Event-ID")
	}
}

// Answers a streamable-HTTP server sends that cannot be used fail their own call, with an
// error that says why, and nothing else: the session stays (no second initialize) and the
// next call works. The server is written here because no real server sends such answers on
// demand.
func TestHTTPUnusableAnswerFailsOneCall(t *testing.T) {
	noLeaks(t)
	const limit = 4096
	var inits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		req, ok := readCall(w, r)
		if !ok {
			return
		}
		answer := func(result string) string {
			return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, result)
		}
		text := func(s string) string { return answer(`{"content":[{"type":"text","text":"` + s + `"}]}`) }
		asJSON := func(body string) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}
		asEvents := func(events ...string) {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, e := range events {
				_, _ = fmt.Fprintf(w, "event: message\ndata: %s\n\n", e)
			}
		}
		switch req.Method {
		case "initialize":
			inits.Add(1)
			asJSON(answer(`{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"odd","version":"1"}}`))
		case "tools/list":
			asJSON(answer(`{"tools":[{"name":"ok","inputSchema":{"type":"object"}}]}`))
		case "tools/call":
			switch req.Params.Name {
			case "garbage":
				asJSON("this is not JSON-RPC")
			case "big":
				asJSON(text(strings.Repeat("x", 2*limit)))
			case "bigevent":
				asEvents(text(strings.Repeat("x", 2*limit)))
			case "cut":
				asEvents(`{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"working"}}`)
			default:
				asEvents(text("fine"))
			}
		default:
			asJSON(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no"}}`, req.ID))
		}
	}))
	t.Cleanup(srv.Close) // after the backend stops (cleanups run last first)
	r := start(t, Config{Name: "odd", Transport: TransportHTTP, URL: srv.URL, Era: EraLegacy, MaxMessageBytes: limit}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range []failing{
		{"garbage", gwmcp.CodeBadBackendMessage, "not valid JSON-RPC"},
		{"big", gwmcp.CodeResultTooLarge, "max_message_bytes"},
		{"bigevent", gwmcp.CodeResultTooLarge, "max_message_bytes"},
		{"cut", jsonrpc.CodeInternalError, "without an answer"},
	} {
		c.check(ctx, t, r, 1)
	}
	resp, err := r.Call(ctx, &Call{Request: toolCall(t, 2, "ok", nil, nil)})
	if got := resultText(t, resp, err); got != "fine" {
		t.Errorf("the call after: %q", got)
	}
	if n := inits.Load(); n != 1 {
		t.Errorf("%d initialize requests: the session was restarted", n)
	}
	if n := r.lines.bad.Load(); n != 3 {
		t.Errorf("%d unusable answers counted, want 3", n)
	}
}

// Over the deprecated HTTP+SSE transport, an event that is not JSON-RPC fails the call whose
// id it names, and the connection stays: the next call works on the same stream (one GET).
// go-sdk's client connection, used before, failed the whole session on it. The server is
// written here because no real one sends such an event on demand.
func TestSSEGarbageEventFailsOneCall(t *testing.T) {
	noLeaks(t)
	const sseLimit = 4096
	events := make(chan string, 16)
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets.Add(1)
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "event: endpoint\ndata: /messages?session=1\n\n")
			w.(http.Flusher).Flush()
			for {
				select {
				case e := <-events:
					fmt.Fprintf(w, "event: message\ndata: %s\n\n", e)
					w.(http.Flusher).Flush()
				case <-r.Context().Done():
					return
				}
			}
		}
		if r.URL.Path != "/messages" { // the endpoint the stream named
			http.NotFound(w, r)
			return
		}
		req, ok := readRPC(w, r)
		if !ok {
			return
		}
		w.WriteHeader(http.StatusAccepted)
		answer := func(result string) {
			events <- fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, result)
		}
		switch {
		case req.ID == nil:
		case req.Method == "initialize":
			answer(`{"protocolVersion":"2024-11-05","capabilities":{"tools":{}},"serverInfo":{"name":"odd","version":"1"}}`)
		case req.Method == "tools/list":
			answer(`{"tools":[{"name":"ok","inputSchema":{"type":"object"}}]}`)
		case req.Params.Name == "garbage":
			events <- fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"cut`, req.ID)
		case req.Params.Name == "huge": // over the limit, its id last (as the TypeScript SDK writes it)
			events <- fmt.Sprintf(`{"jsonrpc":"2.0","result":{"content":[{"type":"text","text":"%s"}]},"id":%s}`,
				strings.Repeat("x", 3*sseLimit), req.ID)
		case req.Params.Name == "huge-lines": // over the limit in several data lines, each under it
			events <- fmt.Sprintf("{\"jsonrpc\":\"2.0\",\ndata: \"id\":%s,\ndata: \"result\":{\"content\":[]},\ndata: \"_\":\"%s\"}",
				req.ID, strings.Repeat("y", 3*sseLimit/4)+"\ndata: "+strings.Repeat("z", 3*sseLimit/4))
		default:
			answer(`{"content":[{"type":"text","text":"fine"}]}`)
		}
	}))
	t.Cleanup(srv.Close)
	r := start(t, Config{Name: "odd", Transport: TransportSSE, URL: srv.URL + "/sse", MaxMessageBytes: sseLimit}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, c := range []failing{
		{"garbage", gwmcp.CodeBadBackendMessage, "not valid JSON-RPC"},
		{"huge", gwmcp.CodeResultTooLarge, "max_message_bytes"},
		{"huge-lines", gwmcp.CodeResultTooLarge, "max_message_bytes"},
	} {
		c.check(ctx, t, r, i+1)
		resp, err := r.Call(ctx, &Call{Request: toolCall(t, 10, "ok", nil, nil)})
		if got := resultText(t, resp, err); got != "fine" {
			t.Errorf("the call after %s: %q", c.tool, got)
		}
	}
	if n := gets.Load(); n != 1 {
		t.Errorf("%d event streams opened: the connection was lost", n)
	}
}

// go-sdk's own HTTP+SSE server, called through the connection.
func TestSSEGoSDKServer(t *testing.T) {
	noLeaks(t)
	server := echoMCP()
	srv := httptest.NewServer(mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return server }, nil))
	t.Cleanup(srv.Close)
	r := start(t, Config{Name: "sse", Transport: TransportSSE, URL: srv.URL}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := r.Call(ctx, &Call{Request: toolCall(t, 1, "echo", map[string]any{"message": "über"}, nil)})
	if got := resultText(t, resp, err); got != `echo:{"message":"über"}` {
		t.Errorf("result %q", got)
	}
}

// failing is a call of backend "odd" that must fail alone, with code and a message saying says.
type failing struct {
	tool string
	code int64
	says string
}

// check makes the call (with id) and checks its error.
func (c failing) check(ctx context.Context, t *testing.T, r *running, id int) {
	t.Helper()
	resp, err := r.Call(ctx, &Call{Request: toolCall(t, id, c.tool, nil, nil)})
	if err != nil {
		t.Fatalf("%s: %v", c.tool, err)
	}
	var we *jsonrpc.Error
	if !errors.As(resp.Error, &we) || we.Code != c.code || !strings.Contains(we.Message, c.says) ||
		!strings.Contains(we.Message, `"odd"`) {
		t.Errorf("%s: error %v, want code %d naming the backend and saying %q", c.tool, resp.Error, c.code, c.says)
	}
}

// rpc is what the servers written in these tests read of a request.
type rpc struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Name string `json:"name"`
	} `json:"params"`
}

// readRPC decodes a POSTed request, or answers 400 and reports false.
func readRPC(w http.ResponseWriter, r *http.Request) (rpc, bool) {
	var req rpc
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return req, false
	}
	return req, true
}

// readCall reads a request that expects an answer; a notification is accepted (202) and
// false returned, as for a body that is not a request.
func readCall(w http.ResponseWriter, r *http.Request) (rpc, bool) {
	req, ok := readRPC(w, r)
	if ok && req.ID == nil {
		w.WriteHeader(http.StatusAccepted)
		return req, false
	}
	return req, ok
}

// An event over max_message_bytes on a streamable HTTP server's standalone GET stream, which
// answers no call, is dropped, logged and counted, and the stream goes on: the event after it
// (a tools/list_changed) still arrives, on the same GET. The server is written here because no
// real one sends such an event on demand.
func TestStandaloneStreamDropsOversizeEvent(t *testing.T) {
	noLeaks(t)
	const limit = 4096
	var gets, lists atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			gets.Add(1)
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "id: 1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"%s\"}}\n\n",
				strings.Repeat("x", 2*limit))
			fmt.Fprint(w, "id: 2\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		case http.MethodDelete:
			return
		}
		req, ok := readCall(w, r)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Mcp-Session-Id", "s1")
		result := `{}`
		switch req.Method {
		case "initialize":
			result = `{"protocolVersion":"2025-06-18","capabilities":{"tools":{"listChanged":true}},"serverInfo":{"name":"odd","version":"1"}}`
		case "tools/list":
			name := "before"
			if lists.Add(1) > 1 {
				name = "after"
			}
			result = `{"tools":[{"name":"` + name + `","inputSchema":{"type":"object"}}]}`
		}
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, result)
	}))
	t.Cleanup(srv.Close)
	r := start(t, Config{Name: "odd", Transport: TransportHTTP, URL: srv.URL, Era: EraLegacy, MaxMessageBytes: limit}, Options{})
	waitFor(t, 30*time.Second, "the tool list after the oversize event", func() bool { return hasTool(r.Snapshot(), "after") })
	if n := gets.Load(); n != 1 {
		t.Errorf("%d GET streams opened, want 1: the oversize event ended the stream", n)
	}
	if n := r.lines.bad.Load(); n != 1 {
		t.Errorf("%d unusable messages counted, want 1", n)
	}
}
