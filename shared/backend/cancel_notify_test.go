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

// Regression (issue 10 item 19): a call cancelled before a streamable-HTTP server sent
// anything ended its POST, and only that: a modern (stateless) backend was never sent
// notifications/cancelled, so a server that does not tie its tool to the connection ran it
// to completion. Both eras now get the notification, naming the request. The server is
// go-sdk's, over real HTTP; a recording proxy in front of it sees what reaches it.
func TestCancelledCallNotifiesHTTPBackend(t *testing.T) {
	for _, c := range []struct {
		name      string
		stateless bool
		era       string
	}{{"legacy", false, EraLegacy}, {"modern", true, ""}} {
		t.Run(c.name, func(t *testing.T) {
			started, stop := make(chan struct{}, 1), make(chan struct{})
			server := mcp.NewServer(&mcp.Implementation{Name: "hang", Version: "1"}, nil)
			server.AddTool(&mcp.Tool{Name: "hang", InputSchema: map[string]any{"type": "object"}},
				func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
					started <- struct{}{}
					select {
					case <-ctx.Done():
					case <-stop:
					}
					return &mcp.CallToolResult{}, ctx.Err()
				})
			srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
				&mcp.StreamableHTTPOptions{Stateless: c.stateless}))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(stop) })
			front, rec := recordingProxy(t, srv.URL+"/mcp")
			b := start(t, Config{Name: "hang", Transport: TransportHTTP, URL: front, Era: c.era}, Options{})
			if modern := b.sess.Load().modern; modern != c.stateless {
				t.Fatalf("modern = %v", modern)
			}
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				_, err := b.Call(ctx, &Call{Request: toolCall(t, 1, "hang", map[string]any{}, nil)})
				errc <- err
			}()
			select {
			case <-started:
			case <-time.After(60 * time.Second):
				t.Fatal("the tool never started")
			}
			cancel() // the server has sent nothing yet
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			waitFor(t, 60*time.Second, "notifications/cancelled at the server", func() bool {
				for _, r := range rec.all() {
					if r.rpcMethod == "notifications/cancelled" {
						return true
					}
				}
				return false
			})
		})
	}
}
