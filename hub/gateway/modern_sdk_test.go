package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestGoSDKModern drives /mcp with the real go-sdk client at its default, the stateless
// 2026-07-28 protocol: server/discover instead of initialize, no session, list_changed on
// a subscriptions/listen stream, sampling through an input_required result and a retry.
func TestGoSDKModern(t *testing.T) {
	h := newHarness(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	listChanged := make(chan struct{}, 4)
	progress := make(chan float64, 8)
	client := mcp.NewClient(&mcp.Implementation{Name: "sdk-modern", Version: "1"}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Model: "test-model", Role: "assistant", Content: &mcp.TextContent{Text: "hi from the client"}}, nil
		},
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			listChanged <- struct{}{}
		},
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			progress <- req.Params.Progress
		},
	})
	hc, rec := h.sdkHTTPClient()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.url + "/mcp", HTTPClient: hc}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer cs.Close()
	if got := cs.InitializeResult().ProtocolVersion; got != "2026-07-28" {
		t.Fatalf("negotiated %q, want 2026-07-28", got)
	}
	if got := rec.methods(); !strings.HasPrefix(got, "server/discover 200") || strings.Contains(got, "initialize") {
		t.Errorf("handshake: %s, want server/discover 200 and no initialize", got)
	}
	if n := h.gw.Sessions(); n != 0 {
		t.Errorf("%d sessions, want none", n)
	}

	var names []string
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tool.Name)
	}
	if got, want := strings.Join(names, ","), "laptop__fs__read,util__echo,util__fail,util__progress,util__sample,util__slow"; got != want {
		t.Errorf("tools %s, want %s", got, want)
	}

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__fs__read", Arguments: map[string]any{"path": "/etc/hosts"}})
	if err != nil {
		t.Fatal(err)
	}
	var echo struct {
		Target struct{ Agent, Backend, Name string }
		Params map[string]any
	}
	sdkText(t, res, &echo)
	if echo.Target.Agent != "laptop" || echo.Params["name"] != "read" {
		t.Errorf("upstream got %+v", echo)
	}
	if meta, ok := echo.Params["_meta"].(map[string]any); ok {
		for k := range meta {
			if strings.HasPrefix(k, "io.modelcontextprotocol/") {
				t.Errorf("the backend got the client's reserved _meta key %q", k)
			}
		}
	}

	// Progress reaches the client on the POST's SSE reply.
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "util__progress", Meta: mcp.Meta{"progressToken": "p1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := waitFor(t, progress, "progress 1"); got != 1 {
		t.Errorf("progress %v, want 1", got)
	}

	// Sampling: the backend's request comes back as input_required, the client retries
	// with its answer, and the backend call that waited all along returns the result.
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "util__sample"})
	if err != nil {
		t.Fatal(err)
	}
	var sampled struct {
		Answer struct {
			Model   string
			Content struct{ Text string }
		}
	}
	sdkText(t, res, &sampled)
	if sampled.Answer.Content.Text != "hi from the client" || sampled.Answer.Model != "test-model" {
		t.Errorf("sampling answer %+v", sampled)
	}
	if got := rec.methods(); !strings.Contains(got, "tools/call 200, tools/call 200, tools/call 200, tools/call 200") {
		t.Errorf("requests %s: want the sampling call retried once", got)
	}
	if n := h.gw.inputs.count(); n != 0 {
		t.Errorf("%d calls still waiting for input", n)
	}

	// list_changed arrives on the subscriptions/listen stream Connect opened.
	deadline := time.After(5 * time.Second)
	for i := 0; ; i++ {
		h.router.Set("laptop", laptopBackends("read", "write"+strings.Repeat("x", i)))
		select {
		case <-listChanged:
		case <-time.After(100 * time.Millisecond):
			select {
			case <-deadline:
				t.Fatal("no tools/list_changed notification")
			default:
			}
			continue
		}
		break
	}

	// Cancellation: the client gives up, closes the stream, and the backend call ends.
	callCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(callCtx, &mcp.CallToolParams{Name: "util__slow"})
		errc <- err
	}()
	waitFor(t, h.up.started, "slow call")
	stop()
	waitFor(t, h.up.cancelled, "backend call cancelled")
	if err := waitFor(t, errc, "call error"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call returned %v", err)
	}
}
