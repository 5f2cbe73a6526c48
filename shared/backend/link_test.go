package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// The connection notes, as it reads a call's stream, the server→client requests and log
// messages on it as the call's (multi-line data and CRLF included), and nothing else: not
// a ping, not the call's answer.
func TestStreamNotesLinks(t *testing.T) {
	s := &session{linkedReqs: map[jsonrpc.ID]*pending{}, linkedLogs: map[string][]*pending{}}
	p := &pending{n: 1}
	c := newHTTPConn(New(Config{Name: "link", Transport: TransportHTTP, URL: "http://127.0.0.1:1/"}, Options{}), nil, nil)
	defer c.Close()
	stream := "event: message\ndata: {\"jsonrpc\":\"2.0\",\ndata: \"method\":\"sampling/createMessage\",\"id\":\"s-1\",\"params\":{}}\n\n" +
		"data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"hi\"}}\r\n\r\n" +
		"data: {\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":3}\n\n" +
		"id: 1\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{\"text\":\"" + strings.Repeat("x", 4096) + "\"}}\r\n\r\n"
	id9, _ := jsonrpc.MakeID(float64(9))
	var lastID string
	answered, _, err := c.events(&http.Response{Body: io.NopCloser(strings.NewReader(stream))},
		&jsonrpc.Request{ID: id9, Method: "tools/call"}, &linkTarget{s: s, p: p}, &lastID)
	if !answered || err != nil {
		t.Fatalf("answered %v, err %v", answered, err)
	}
	id, _ := jsonrpc.MakeID("s-1")
	if s.linkedRequest(id) != p {
		t.Error("sampling request not linked")
	}
	if s.linkedLog(json.RawMessage(`{"level":"info","data":"hi"}`)) != p {
		t.Error("log message not linked")
	}
	if len(s.linkedReqs) != 0 || len(s.linkedLogs) != 0 {
		t.Errorf("left %v %v", s.linkedReqs, s.linkedLogs)
	}
}
