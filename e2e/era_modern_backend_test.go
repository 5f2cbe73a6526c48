package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// startModernBackendHub starts go-sdk's conformance "everything" server in its stateless
// (2026-07-28) mode and a hub with it as the hub-local backend "conf".
func startModernBackendHub(t *testing.T) *hubtest.Hub {
	t.Helper()
	port := startOnFreePort(t, conformanceServer(t), func(port int) ([]string, []string) {
		return nil, []string{fmt.Sprintf("-http=127.0.0.1:%d", port), "-stateless=true"}
	}, func(port int) string { return fmt.Sprintf("http://127.0.0.1:%d/mcp", port) })
	url := fmt.Sprintf("http://127.0.0.1:%d/mcp", port)
	hub := hubtest.Start(t, func(c *config.Config) {
		c.Backends = []backend.Config{{Name: "conf", Transport: "http", URL: url}}
	})
	waitFor(t, 60*time.Second, "the conformance server's tools", func() bool {
		for _, tl := range hub.Server.Router.Table().Tools() {
			if strings.Contains(string(tl), `"conf__test_simple_text"`) {
				return true
			}
		}
		return false
	})
	return hub
}

// TestEraMatrixModernBackend: the go-sdk client in both eras against a stateless backend
// behind the hub — list, call, progress, and the backend's input_required answered by the
// client: passed through to a stateless client (which retries), asked mid-call of a session
// client (the backend layer retries for it); the backend's list_changed reaches both.
func TestEraMatrixModernBackend(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	for _, era := range []string{"2026-07-28", "2025-11-25"} {
		t.Run(era, func(t *testing.T) {
			// A hub and backend each: the backend's tool change happens once per process.
			hub := startModernBackendHub(t)
			var progress, listChanged atomic.Int32
			client := mcp.NewClient(&mcp.Implementation{Name: "era-" + era, Version: "1"}, &mcp.ClientOptions{
				CreateMessageHandler: func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
					return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "sampled in " + era}}, nil
				},
				ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					content := map[string]any{"name": "ada", "color": "green"}
					return &mcp.ElicitResult{Action: "accept", Content: content}, nil
				},
				ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { progress.Add(1) },
				ToolListChangedHandler:      func(context.Context, *mcp.ToolListChangedRequest) { listChanged.Add(1) },
			})
			log := &methodLog{key: hub.OwnerKey}
			var opts *mcp.ClientSessionOptions
			if era != "2026-07-28" {
				opts = &mcp.ClientSessionOptions{ProtocolVersion: era}
			}
			cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hub.MCPURL(), HTTPClient: &http.Client{Transport: log}}, opts)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer cs.Close()
			if got := cs.InitializeResult().ProtocolVersion; got != era {
				t.Fatalf("negotiated %s", got)
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
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "conf__test_simple_text"})
			if err != nil || text(res.Content) == "" {
				t.Errorf("test_simple_text: %v %v", res, err)
			}
			_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "conf__test_tool_with_progress", Meta: mcp.Meta{"progressToken": "p"}})
			if err != nil || progress.Load() == 0 {
				t.Errorf("progress: %d notifications, %v", progress.Load(), err)
			}
			before := log.count("tools/call 200")
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "conf__test_input_required_result_sampling"})
			if err != nil || !strings.Contains(text(res.Content), "sampled in "+era) {
				t.Errorf("sampling through input_required: %v %v", res, err)
			}
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "conf__test_input_required_result_multi_round"})
			if err != nil || !strings.Contains(text(res.Content), "ada likes green") {
				t.Errorf("two elicitation rounds: %v %v", res, err)
			}
			// A stateless client retries itself (1 + 1 + 1 + 2 POSTs); a session client sends
			// each call once and answers mid-call.
			want := 2
			if era == "2026-07-28" {
				want = 5
			}
			if got := log.count("tools/call 200") - before; got != want {
				t.Errorf("%d tools/call POSTs for one sampling and a two-round elicitation, want %d: %v", got, want, log.seen)
			}
			// The backend's list change reaches the client: on its subscriptions/listen stream
			// (stateless) or its GET stream (session). The GET stream may still be opening:
			// trigger until a notification arrives.
			waitFor(t, 30*time.Second, "tools/list_changed", func() bool {
				if listChanged.Load() > 0 {
					return true
				}
				_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "conf__test_trigger_tool_change"})
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(200 * time.Millisecond)
				return listChanged.Load() > 0
			})
		})
	}
}
