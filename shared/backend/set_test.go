package backend

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// echoServer is a real streamable HTTP MCP server with one tool, "echo".
func echoServer(t *testing.T) string {
	t.Helper()
	server := echoMCP()
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	t.Cleanup(srv.Close)
	return srv.URL
}

// echoMCP is go-sdk's server with one tool, "echo", which answers "echo:" and its arguments.
func echoMCP() *mcp.Server {
	server := mcp.NewServer(&mcp.Implementation{Name: "echo", Version: "1"}, nil)
	server.AddTool(&mcp.Tool{Name: "echo", InputSchema: map[string]any{"type": "object"}},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "echo:" + string(req.Params.Arguments)}}}, nil
		})
	return server
}

func TestSetAddRemove(t *testing.T) {
	url := echoServer(t)
	s, err := NewSet([]Config{{Name: "first", Transport: TransportHTTP, URL: url}}, Options{BackoffBase: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Added before Run: started by Run.
	if err := s.Add(context.Background(), Config{Name: "early", Transport: TransportHTTP, URL: url}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}()
	if err := s.Add(ctx, Config{Name: "late", Transport: TransportHTTP, URL: url}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"first", "early", "late"} {
		b, ok := s.Get(name)
		if !ok {
			t.Fatalf("Get(%q): missing", name)
		}
		waitFor(t, 20*time.Second, name+" ready", func() bool { return b.Snapshot().State == protocol.StateReady })
		resp, err := s.Call(ctx, name, &Call{Request: toolCall(t, 1, "echo", map[string]any{"n": name}, nil)})
		text := resultText(t, resp, err)
		if text != `echo:{"n":"`+name+`"}` {
			t.Fatalf("%s: %q", name, text)
		}
	}
	if got := s.Names(); len(got) != 3 || got[2] != "late" {
		t.Fatalf("Names = %v", got)
	}

	if err := s.Add(ctx, Config{Name: "late", Transport: TransportHTTP, URL: url}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Add of a taken name: %v, want ErrDuplicate", err)
	}
	if err := s.Add(ctx, Config{Name: "bad name", Transport: TransportHTTP, URL: url}); err == nil {
		t.Fatal("Add accepted an invalid name")
	}

	late, _ := s.Get("late")
	if err := s.Remove("late"); err != nil {
		t.Fatal(err)
	}
	if st := late.Snapshot().State; st != protocol.StateStopped {
		t.Fatalf("removed backend's state %q, want stopped once Remove returns", st)
	}
	if _, ok := s.Get("late"); ok {
		t.Fatal("Get finds a removed backend")
	}
	if _, err := s.Call(ctx, "late", &Call{Request: toolCall(t, 2, "echo", nil, nil)}); !errors.Is(err, ErrUnknownBackend) {
		t.Fatalf("Call to a removed backend: %v", err)
	}
	if err := s.Remove("late"); !errors.Is(err, ErrUnknownBackend) {
		t.Fatalf("second Remove: %v", err)
	}
	if snaps := s.Snapshots(); len(snaps) != 2 {
		t.Fatalf("Snapshots after Remove: %d", len(snaps))
	}
	// The name is free again.
	if err := s.Add(ctx, Config{Name: "late", Transport: TransportHTTP, URL: url}); err != nil {
		t.Fatalf("re-Add after Remove: %v", err)
	}
	again, _ := s.Get("late")
	waitFor(t, 20*time.Second, "re-added ready", func() bool { return again.Snapshot().State == protocol.StateReady })
}

func TestSetRunTwice(t *testing.T) {
	s, _ := NewSet(nil, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, 5*time.Second, "running", func() bool { s.mu.RLock(); defer s.mu.RUnlock(); return s.runCtx != nil })
	if err := s.Run(ctx); err == nil {
		t.Error("a second concurrent Run was accepted")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
