package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestSamplingNeverCrossesClients is a security regression test: two clients call a tool
// that asks its caller for sampling, concurrently, on the same shared backend session. A
// sampling request must only ever reach the client whose call caused it; when the backend
// cannot tell (calls of both clients in flight) the call fails instead of guessing.
func TestSamplingNeverCrossesClients(t *testing.T) {
	m := startMesh(t)
	ctx := ctxFor(t, 2*time.Minute)
	connect := func(tag string) *mcp.ClientSession {
		c := mcp.NewClient(&mcp.Implementation{Name: "iso-" + tag, Version: "1"}, &mcp.ClientOptions{
			CreateMessageHandler: func(ctx context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
				time.Sleep(20 * time.Millisecond) // keep calls overlapping
				return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "answered by " + tag}}, nil
			},
		})
		cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: m.hub.MCPURL(), HTTPClient: authClient(m.hub.OwnerKey)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cs.Close() })
		return cs
	}
	clients := map[string]*mcp.ClientSession{"A": connect("A"), "B": connect("B")}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, failed := 0, 0
	for tag, cs := range clients {
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__trigger-sampling-request",
					Arguments: map[string]any{"prompt": "from " + tag, "maxTokens": 5}})
				mu.Lock()
				defer mu.Unlock()
				got := ""
				if err == nil {
					got = text(res.Content)
				}
				switch {
				case err == nil && strings.Contains(got, "answered by "+tag):
					ok++
				case strings.Contains(got, "answered by "):
					t.Errorf("client %s got another client's answer: %q", tag, got)
				default:
					failed++ // refused as ambiguous: allowed, never a wrong answer
				}
			}()
		}
	}
	wg.Wait()
	t.Logf("%d calls answered by their own client, %d refused as ambiguous", ok, failed)
	// Alone on the backend, a client's sampling works.
	res, err := clients["A"].CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__trigger-sampling-request",
		Arguments: map[string]any{"prompt": "alone", "maxTokens": 5}})
	if err != nil || !strings.Contains(text(res.Content), "answered by A") {
		t.Fatalf("sampling with one client: %v %v", res, err)
	}
}
