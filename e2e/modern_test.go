package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// methodLog records the JSON-RPC method and HTTP status of every POST a client makes.
type methodLog struct {
	key  string
	mu   sync.Mutex
	seen []string
}

func (l *methodLog) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+l.key)
	var method string
	if r.Method == http.MethodPost && r.GetBody != nil {
		if body, err := r.GetBody(); err == nil {
			var m struct{ Method string }
			_ = json.NewDecoder(body).Decode(&m)
			method = m.Method
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && method != "" {
		l.mu.Lock()
		l.seen = append(l.seen, method+" "+resp.Status[:3])
		l.mu.Unlock()
	}
	return resp, err
}

func (l *methodLog) count(entry string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.seen {
		if s == entry {
			n++
		}
	}
	return n
}

// TestEraMatrixGoSDK runs the go-sdk client in both eras against the mesh: stateless
// 2026-07-28 (its default) and session-based 2025-11-25. Each era lists, calls the
// hub-local and the agent's (legacy) server-everything, gets progress, and answers a
// sampling and an elicitation request of the legacy backend — for the stateless client
// through input_required results and retries, for the session client mid-call.
func TestEraMatrixGoSDK(t *testing.T) {
	m := startMesh(t)
	ctx := ctxFor(t, 3*time.Minute)
	for _, era := range []string{"2026-07-28", "2025-11-25"} {
		t.Run(era, func(t *testing.T) {
			var progress atomic.Int32
			client := mcp.NewClient(&mcp.Implementation{Name: "era-" + era, Version: "1"}, &mcp.ClientOptions{
				CreateMessageHandler: func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
					return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "sampled in " + era}}, nil
				},
				ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					return &mcp.ElicitResult{Action: "decline"}, nil
				},
				ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { progress.Add(1) },
			})
			log := &methodLog{key: m.hub.OwnerKey}
			var opts *mcp.ClientSessionOptions
			if era != "2026-07-28" {
				opts = &mcp.ClientSessionOptions{ProtocolVersion: era}
			}
			cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: m.hub.MCPURL(), HTTPClient: &http.Client{Transport: log}}, opts)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer cs.Close()
			if got := cs.InitializeResult().ProtocolVersion; got != era {
				t.Fatalf("negotiated %s", got)
			}
			if era == "2026-07-28" && (log.count("server/discover 200") != 1 || log.count("initialize 200") != 0) {
				t.Errorf("stateless handshake: %v", log.seen)
			}

			n := 0
			for _, err := range cs.Tools(ctx, nil) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n < 10 {
				t.Errorf("%d tools", n)
			}
			for _, name := range []string{"everything__echo", "laptop__everything__echo"} {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{"message": "hi " + era}})
				if err != nil || !strings.Contains(text(res.Content), "hi "+era) {
					t.Errorf("%s: %v %v", name, res, err)
				}
			}
			_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__trigger-long-running-operation",
				Arguments: map[string]any{"duration": 1, "steps": 3}, Meta: mcp.Meta{"progressToken": "p"}})
			if err != nil || progress.Load() < 2 {
				t.Errorf("progress: %d notifications, %v", progress.Load(), err)
			}

			calls := log.count("tools/call 200")
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__trigger-sampling-request",
				Arguments: map[string]any{"prompt": "say hi", "maxTokens": 5}})
			if err != nil || !strings.Contains(text(res.Content), "sampled in "+era) {
				t.Errorf("sampling: %v %v", res, err)
			}
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__trigger-elicitation-request"})
			if err != nil || !strings.Contains(strings.ToLower(text(res.Content)), "decline") {
				t.Errorf("elicitation: %v %v", res, err)
			}
			if era == "2026-07-28" {
				// Each round trip was a call answered input_required, then its retry.
				if got := log.count("tools/call 200") - calls; got != 2*2 {
					t.Errorf("%d tools/call POSTs for sampling and elicitation, want 4 (each retried once): %v", got, log.seen)
				}
				if n := m.hub.Server.GW.Sessions(); n != 0 {
					t.Errorf("%d sessions for a stateless client", n)
				}
			}
		})
	}
}

// TestModernCancelAndListChanged: a stateless client's cancellation (it closes the
// stream) ends the agent's call, and list_changed reaches it on subscriptions/listen
// when the agent goes and comes back.
func TestModernCancelAndListChanged(t *testing.T) {
	m := startMesh(t)
	ctx := ctxFor(t, 3*time.Minute)
	var listChanged atomic.Int32
	client := mcp.NewClient(&mcp.Implementation{Name: "modern", Version: "1"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { listChanged.Add(1) },
	})
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: m.hub.MCPURL(), HTTPClient: authClient(m.hub.OwnerKey)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if v := cs.InitializeResult().ProtocolVersion; v != "2026-07-28" {
		t.Fatalf("negotiated %s", v)
	}

	cctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	began := time.Now()
	if _, err := cs.CallTool(cctx, &mcp.CallToolParams{Name: "laptop__everything__trigger-long-running-operation",
		Arguments: map[string]any{"duration": 30, "steps": 30}}); err == nil {
		t.Fatal("a 30 s operation finished within 1.5 s")
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("cancelled call returned after %s", d)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: map[string]any{"message": "after cancel"}})
	if err != nil || !strings.Contains(text(res.Content), "after cancel") {
		t.Errorf("call after cancel: %v %v", res, err)
	}

	waitFor(t, 10*time.Second, "listen stream", func() bool { return m.hub.Server.GW.Listeners() > 0 })
	before := listChanged.Load()
	m.agent.stop()
	waitFor(t, 30*time.Second, "list_changed after agent stop", func() bool { return listChanged.Load() > before })
	mid := listChanged.Load()
	m.startAgent(t)
	waitFor(t, 60*time.Second, "list_changed after agent start", func() bool { return listChanged.Load() > mid })
}
