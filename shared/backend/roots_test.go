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

// rootsServer is a legacy HTTP+SSE server (every message on one stream: nothing links a
// request to its call) whose tool "roots" waits until n calls are in flight, then lists the
// client's roots and returns their URIs.
func rootsServer(t *testing.T, n int32) string {
	t.Helper()
	all := make(chan struct{})
	var arrived atomic.Int32
	server := mcp.NewServer(&mcp.Implementation{Name: "roots", Version: "1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "roots"}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		if arrived.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		res, err := req.Session.ListRoots(ctx, nil)
		if err != nil {
			return nil, nil, err
		}
		var uris []string
		for _, r := range res.Roots {
			uris = append(uris, r.URI)
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.Join(uris, ",")}}}, nil, nil
	})
	srv := httptest.NewServer(mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return server }, nil))
	t.Cleanup(srv.Close)
	return srv.URL
}

// An unlinked roots/list under several clients' calls is answered when every one of those
// clients gives the same roots, and refused when they differ (a call left alone in flight
// gets its own roots) (issue 9: the refusal as narrow
// as it can be without guessing).
func TestUnlinkedRootsAnsweredWhenClientsAgree(t *testing.T) {
	const clients = 3
	for _, tc := range []struct {
		name   string
		differ bool
	}{{"same roots", false}, {"different roots", true}} {
		t.Run(tc.name, func(t *testing.T) {
			b := start(t, Config{Name: "roots", Transport: TransportSSE, URL: rootsServer(t, clients)}, Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			var refused atomic.Int32
			for i := range clients {
				owner := fmt.Sprintf("client-%d", i)
				uri := "file:///work"
				if tc.differ {
					uri += "/" + owner
				}
				sink := newSink(func(req *jsonrpc.Request) (*jsonrpc.Response, error) {
					res, _ := json.Marshal(map[string]any{"roots": []map[string]string{{"uri": uri}}})
					return &jsonrpc.Response{ID: req.ID, Result: res}, nil
				})
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := b.Call(ctx, &Call{Request: toolCall(t, i+1, "roots", nil, nil), Sink: sink, Owner: owner})
					if err != nil {
						t.Errorf("%s: %v", owner, err)
						return
					}
					got := string(resp.Result)
					switch {
					case !tc.differ && !strings.Contains(got, `"text":"file:///work"`):
						t.Errorf("%s: %s, want the shared root", owner, got)
					case tc.differ && strings.Contains(got, "different roots"):
						refused.Add(1)
					case tc.differ && !strings.Contains(got, `"text":"file:///work/`+owner+`"`):
						// A call whose roots/list comes after the others' calls ended is
						// the only one in flight: its own roots are the right answer.
						// Another client's roots never are.
						t.Errorf("%s: %s, want a refusal or its own roots", owner, got)
					}
				}()
			}
			wg.Wait()
			// The first roots/list comes while all three calls are in flight.
			if tc.differ && refused.Load() == 0 {
				t.Error("no call was refused though the clients' roots differ")
			}
		})
	}
}
