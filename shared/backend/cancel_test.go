package backend

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Regression: a legacy streamable-HTTP server that starts no answer before its tool returns
// keeps the request's POST open, so the call's context ended inside the write — and the
// server was never sent notifications/cancelled, its tool running on forever.
func TestCancelDuringHTTPWrite(t *testing.T) {
	cancelled, stop := make(chan struct{}, 1), make(chan struct{})
	server := mcp.NewServer(&mcp.Implementation{Name: "hang", Version: "1"}, nil)
	server.AddTool(&mcp.Tool{Name: "hang", InputSchema: map[string]any{"type": "object"}},
		func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			select {
			case <-ctx.Done():
				cancelled <- struct{}{}
			case <-stop: // the test failed: let the server close
			}
			return nil, ctx.Err()
		})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) })
	b := start(t, Config{Name: "hang", Transport: TransportHTTP, URL: srv.URL, Era: EraLegacy}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := b.Call(ctx, &Call{Request: toolCall(t, 1, "hang", map[string]any{}, nil)}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the deadline", err)
	}
	select {
	case <-cancelled:
	case <-time.After(60 * time.Second):
		t.Fatal("the server never saw the call cancelled")
	}
}
