package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bearer adds an API key to every request of the go-sdk client and records the methods
// and statuses of its POSTs.
type bearer struct {
	key  string
	base http.RoundTripper

	mu   sync.Mutex
	seen []string // "method status"
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	var method string
	if r.Method == http.MethodPost && r.GetBody != nil {
		if body, err := r.GetBody(); err == nil {
			var m struct{ Method string }
			_ = json.NewDecoder(body).Decode(&m)
			method = m.Method
		}
	}
	resp, err := b.base.RoundTrip(r)
	if err == nil && method != "" {
		b.mu.Lock()
		b.seen = append(b.seen, method+" "+strconv.Itoa(resp.StatusCode))
		b.mu.Unlock()
	}
	return resp, err
}

func (b *bearer) methods() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.seen, ", ")
}

func (h *harness) sdkHTTPClient() (*http.Client, *bearer) {
	b := &bearer{key: aliceKey, base: h.srv.Client().Transport}
	return &http.Client{Transport: b}, b
}

func sdkText(t *testing.T, res *mcp.CallToolResult, v any) {
	t.Helper()
	if res.IsError || len(res.Content) == 0 {
		t.Fatalf("tool result: %+v", res)
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("content %T", res.Content[0])
	}
	if err := json.Unmarshal([]byte(tc.Text), v); err != nil {
		t.Fatalf("tool text %q: %v", tc.Text, err)
	}
}

// TestGoSDKStreamable drives /mcp with the real go-sdk client held to the session-based
// protocol (2025-11-25): initialize, Mcp-Session-Id, the GET stream, DELETE.
func TestGoSDKStreamable(t *testing.T) {
	h := newHarness(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	listChanged := make(chan struct{}, 4)
	client := mcp.NewClient(&mcp.Implementation{Name: "sdk-test", Version: "1"}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Model: "test-model", Role: "assistant", Content: &mcp.TextContent{Text: "hi from the client"}}, nil
		},
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			listChanged <- struct{}{}
		},
	})
	hc, rec := h.sdkHTTPClient()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.url + "/mcp", HTTPClient: hc},
		&mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if got, want := rec.methods(), "initialize 200, notifications/initialized 202"; got != want {
		t.Errorf("handshake: %s, want %s", got, want)
	}
	if got := cs.InitializeResult().ProtocolVersion; got != "2025-11-25" {
		t.Errorf("negotiated %q, want 2025-11-25", got)
	}
	if h.gw.Sessions() != 1 {
		t.Errorf("%d sessions, want 1", h.gw.Sessions())
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
		Params struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		}
	}
	sdkText(t, res, &echo)
	if echo.Target.Agent != "laptop" || echo.Target.Backend != "fs" || echo.Params.Name != "read" || echo.Params.Arguments["path"] != "/etc/hosts" {
		t.Errorf("upstream got %+v", echo)
	}

	// Sampling: the request reaches the client on the POST's SSE reply and its answer
	// goes back to the backend.
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

	// list_changed arrives on the standalone GET stream the client opened. The GET may
	// still be on its way: change the tools until one notification gets through.
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

	if err := cs.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if n := h.gw.Sessions(); n != 0 {
		t.Errorf("%d sessions after Close (DELETE), want 0", n)
	}
}

// TestGoSDKSSE drives the deprecated HTTP+SSE transport with the go-sdk client.
func TestGoSDKSSE(t *testing.T) {
	h := newHarness(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "sdk-sse-test", Version: "1"}, &mcp.ClientOptions{
		CreateMessageHandler: func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "sse answer"}}, nil
		},
	})
	hc, _ := h.sdkHTTPClient()
	cs, err := client.Connect(ctx, &mcp.SSEClientTransport{Endpoint: h.url + "/sse", HTTPClient: hc}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "util__echo", Arguments: map[string]any{"x": 1}})
	if err != nil {
		t.Fatal(err)
	}
	var echo struct {
		Params struct {
			Name string `json:"name"`
		}
		Caller struct {
			UserID  string `json:"userId"`
			Session string `json:"session"`
		}
	}
	sdkText(t, res, &echo)
	if echo.Params.Name != "echo" || echo.Caller.UserID != "u-alice" || echo.Caller.Session == "" {
		t.Errorf("upstream got %+v", echo)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "util__sample"})
	if err != nil {
		t.Fatal(err)
	}
	var sampled struct {
		Answer struct{ Content struct{ Text string } }
	}
	sdkText(t, res, &sampled)
	if sampled.Answer.Content.Text != "sse answer" {
		t.Errorf("sampling over SSE: %+v", sampled)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown tool over SSE: %v", err)
	}
	if err := cs.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	// The session lives as long as its stream: gone once the server notices the stream closed.
	for end := time.Now().Add(5 * time.Second); h.gw.Sessions() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d sessions after the SSE stream closed", h.gw.Sessions())
		}
	}
}
