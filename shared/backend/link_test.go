package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// askServer is a legacy (stateful) streamable HTTP server whose tool "ask" logs its
// argument, then asks the client for sampling with it and returns the answer.
func askServer(t *testing.T) string {
	t.Helper()
	server := mcp.NewServer(&mcp.Implementation{Name: "ask", Version: "1"}, &mcp.ServerOptions{
		Capabilities: &mcp.ServerCapabilities{Logging: &mcp.LoggingCapabilities{}, Tools: &mcp.ToolCapabilities{}},
	})
	type args struct {
		Secret string `json:"secret"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "ask"}, func(ctx context.Context, req *mcp.CallToolRequest, a args) (*mcp.CallToolResult, any, error) {
		if err := req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Data: "log of " + a.Secret}); err != nil {
			return nil, nil, err
		}
		res, err := req.Session.CreateMessage(ctx, &mcp.CreateMessageParams{MaxTokens: 10,
			Messages: []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: a.Secret}}}})
		if err != nil {
			return nil, nil, err
		}
		return &mcp.CallToolResult{Content: []mcp.Content{res.Content}}, nil, nil
	})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

// Regression (issue 9): with calls of several clients in flight on one legacy streamable
// HTTP backend, each client gets the sampling request and the log message its own call
// caused — taken from the call's own POST stream — instead of a refusal for all of them.
func TestLinkedRequestsReachTheirOwnClient(t *testing.T) {
	const clients = 4
	b := start(t, Config{Name: "ask", Transport: TransportHTTP, URL: askServer(t)}, Options{})
	if b.sess.Load().modern {
		t.Fatal("a stateful go-sdk server should be spoken to in the legacy era")
	}
	// Every sink holds its answer until all clients have been asked: the calls are all in
	// flight together when the requests are routed.
	all := make(chan struct{})
	var arrived atomic.Int32

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type outcome struct {
		owner, text string
		err         error
		sink        *testSink
	}
	out := make(chan outcome, clients)
	for i := range clients {
		owner := fmt.Sprintf("client-%d", i)
		sink := newSink(func(req *jsonrpc.Request) (*jsonrpc.Response, error) {
			if arrived.Add(1) == clients {
				close(all)
			}
			select {
			case <-all:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			var p struct {
				Messages []struct{ Content struct{ Text string } }
			}
			_ = json.Unmarshal(req.Params, &p)
			text := fmt.Sprintf("%s answers %q", owner, p.Messages[0].Content.Text)
			res, _ := json.Marshal(map[string]any{"model": "m", "role": "assistant", "content": map[string]string{"type": "text", "text": text}})
			return &jsonrpc.Response{ID: req.ID, Result: res}, nil
		})
		go func() {
			resp, err := b.Call(ctx, &Call{Request: toolCall(t, i+1, "ask", map[string]any{"secret": "secret of " + owner}, nil), Sink: sink, Owner: owner})
			o := outcome{owner: owner, err: err, sink: sink}
			if err == nil && resp.Error != nil {
				o.err = resp.Error
			} else if err == nil {
				o.text = string(resp.Result)
			}
			out <- o
		}()
	}
	for range clients {
		o := <-out
		if o.err != nil {
			t.Errorf("%s: %v", o.owner, o.err)
			continue
		}
		if want := fmt.Sprintf(`%s answers \"secret of %s\"`, o.owner, o.owner); !strings.Contains(o.text, want) {
			t.Errorf("%s got %s, want its own answer", o.owner, o.text)
		}
		checkOwnLog(t, o.owner, o.sink)
	}
}

// The log messages of a modern (stateless) streamable HTTP server come on each call's own
// POST stream too: with several clients' calls in flight, each gets its own.
func TestLinkedLogsOfModernServer(t *testing.T) {
	const clients = 4
	all := make(chan struct{})
	var arrived atomic.Int32
	server := mcp.NewServer(&mcp.Implementation{Name: "logs", Version: "1"}, &mcp.ServerOptions{
		Capabilities: &mcp.ServerCapabilities{Logging: &mcp.LoggingCapabilities{}, Tools: &mcp.ToolCapabilities{}},
	})
	type args struct {
		Secret string `json:"secret"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "log"}, func(ctx context.Context, req *mcp.CallToolRequest, a args) (*mcp.CallToolResult, any, error) {
		if arrived.Add(1) == clients { // every call is in flight before any logs
			close(all)
		}
		select {
		case <-all:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		err := req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Data: "log of " + a.Secret})
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil, err
	})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true}))
	t.Cleanup(srv.Close)
	b := start(t, Config{Name: "logs", Transport: TransportHTTP, URL: srv.URL + "/mcp"}, Options{})
	if !b.sess.Load().modern {
		t.Fatal("a stateless go-sdk server should be spoken to in 2026-07-28")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range clients {
		owner := fmt.Sprintf("client-%d", i)
		sink := newSink(nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := b.Call(ctx, &Call{Request: toolCall(t, i+1, "log", map[string]any{"secret": "secret of " + owner}, nil), Sink: sink, Owner: owner})
			if err != nil || resp.Error != nil {
				t.Errorf("%s: %v %v", owner, err, resp)
				return
			}
			checkOwnLog(t, owner, sink)
		}()
	}
	wg.Wait()
}

// checkOwnLog: the call's sink got the log message of its own call and no other.
func checkOwnLog(t *testing.T, owner string, sink *testSink) {
	t.Helper()
	for {
		select {
		case n := <-sink.notes:
			if n.Method != "notifications/message" {
				continue
			}
			if !strings.Contains(string(n.Params), "log of secret of "+owner+`"`) {
				t.Errorf("%s got another call's log message: %s", owner, n.Params)
			}
			return
		default:
			t.Errorf("%s got no log message", owner)
			return
		}
	}
}

// The SSE reader of a linked stream: lines split anywhere, CRLF, multi-line data, an
// oversized response skipped without buffering.
func TestLinkBodyParses(t *testing.T) {
	s := &session{linkedReqs: map[jsonrpc.ID]*pending{}, linkedLogs: map[string][]*pending{}}
	p := &pending{n: 1}
	big := `{"jsonrpc":"2.0","id":9,"result":{"text":"` + strings.Repeat("x", 4*maxSniff) + `"}}`
	stream := "id: 1\r\ndata: " + big + "\r\n\r\n" +
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\ndata: \"method\":\"sampling/createMessage\",\"id\":\"s-1\",\"params\":{}}\n\n" +
		"data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"hi\"}}\n\n" +
		"data: {\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":3}\n\n"
	for _, chunk := range []int{1, 7, len(stream)} {
		body := &linkBody{to: &linkTarget{s: s, p: p}}
		for i := 0; i < len(stream); i += chunk {
			body.feed([]byte(stream[i:min(i+chunk, len(stream))]))
		}
		if len(body.data) != 0 || cap(body.data) > 2*maxSniff {
			t.Errorf("chunk %d: %d bytes of data kept (cap %d)", chunk, len(body.data), cap(body.data))
		}
		id, _ := jsonrpc.MakeID("s-1")
		if s.linkedRequest(id) != p {
			t.Errorf("chunk %d: sampling request not linked", chunk)
		}
		if s.linkedLog(json.RawMessage(`{"level":"info","data":"hi"}`)) != p {
			t.Errorf("chunk %d: log message not linked", chunk)
		}
		if len(s.linkedReqs) != 0 || len(s.linkedLogs) != 0 {
			t.Errorf("chunk %d: left %v %v", chunk, s.linkedReqs, s.linkedLogs)
		}
	}
}

// FuzzLinkBody: however the stream is cut into reads, the wrapper notes the same links as
// when it sees the stream whole, and never panics.
func FuzzLinkBody(f *testing.F) {
	f.Add([]byte("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"roots/list\"}\n\n"), uint8(3))
	f.Add([]byte("data: {\"method\":\"notifications/message\",\"params\":{\"a\":1}}\r\n\r\ndata: x\n"), uint8(1))
	f.Add([]byte("data: {\"id\":2,\"x\":\""+strings.Repeat("y", maxSniff)+"\",\"method\":\"roots/list\"}\n\n"), uint8(0))
	f.Add([]byte("id: 4\nevent: message\ndata: {\"id\":\"a\",\ndata: \"method\":\"elicitation/create\"}\n\n\n"), uint8(5))
	f.Fuzz(func(t *testing.T, stream []byte, cut uint8) {
		links := func(chunk int) (map[jsonrpc.ID]*pending, map[string][]*pending) {
			s := &session{linkedReqs: map[jsonrpc.ID]*pending{}, linkedLogs: map[string][]*pending{}}
			b := &linkBody{to: &linkTarget{s: s, p: &pending{n: 1}}}
			for i := 0; i < len(stream); i += chunk {
				b.feed(stream[i:min(i+chunk, len(stream))])
			}
			return s.linkedReqs, s.linkedLogs
		}
		wantReqs, wantLogs := links(max(len(stream), 1))
		gotReqs, gotLogs := links(int(cut%16) + 1)
		if len(gotReqs) != len(wantReqs) || len(gotLogs) != len(wantLogs) {
			t.Fatalf("cut %d: %d requests, %d logs linked; whole: %d, %d", cut%16+1, len(gotReqs), len(gotLogs), len(wantReqs), len(wantLogs))
		}
		for id := range wantReqs {
			if gotReqs[id] == nil {
				t.Fatalf("cut %d: request %v not linked", cut%16+1, id.Raw())
			}
		}
		for k, q := range wantLogs {
			if len(gotLogs[k]) != len(q) {
				t.Fatalf("cut %d: log %q linked %d times, whole %d", cut%16+1, k, len(gotLogs[k]), len(q))
			}
		}
	})
}

// BenchmarkLinkBodyResult: what the wrapper costs a 64 KiB result streamed back on a call's
// POST stream in 32 KiB reads (the common case: nothing to link).
func BenchmarkLinkBodyResult(b *testing.B) {
	event := []byte(`data: {"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"` +
		strings.Repeat("x", 64<<10) + `"}]}}` + "\n\n")
	s := &session{linkedReqs: map[jsonrpc.ID]*pending{}, linkedLogs: map[string][]*pending{}}
	body := &linkBody{to: &linkTarget{s: s, p: &pending{n: 1}}}
	b.SetBytes(int64(len(event)))
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(event); i += 32 << 10 {
			body.feed(event[i:min(i+32<<10, len(event))])
		}
	}
}
