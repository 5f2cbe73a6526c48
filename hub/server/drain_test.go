package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	agentconfig "github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// TestDrainMovesIdleAgentsFirst: when the hub stops (SIGTERM), an agent with no call in
// flight is told hub_closing at once, so it can move to another hub, while an agent whose
// call is still running keeps its tunnel until that call has answered (and a call to a
// hub-local backend runs to its end too); meanwhile /readyz
// answers 503 "draining", a new session is refused with 503, and an existing session's new
// call is served. Then the busy agent is told too, and the hub stops. Both ways: before the
// stop, neither agent hears hub_closing.
func TestDrainMovesIdleAgentsFirst(t *testing.T) {
	tools := newHoldServer(t)
	h := hubtest.Start(t, func(c *config.Config) {
		c.DrainTimeout = config.Duration{Duration: 60 * time.Second}
		c.Backends = []backend.Config{{Name: "local", Transport: backend.TransportHTTP, URL: tools.URL}}
	})
	busy := runLoggedAgent(t, h, "busy", tools.URL)
	idle := runLoggedAgent(t, h, "idle", tools.URL)
	cs := connectOwner(t, h)
	eventually(t, "both agents' tools", func() bool {
		_, e1 := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "busy__b__ok", Arguments: map[string]any{}})
		_, e2 := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "idle__b__ok", Arguments: map[string]any{}})
		_, e3 := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "local__ok", Arguments: map[string]any{}})
		return e1 == nil && e2 == nil && e3 == nil
	})
	// Two calls in flight: through the busy agent, and to a hub-local backend.
	held := make(chan error, 2)
	for _, tool := range []string{"busy__b__hold", "local__hold"} {
		go func() {
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}})
			if err == nil && (res.IsError || !strings.Contains(textOf(res), "released")) {
				err = &callError{res}
			}
			if err != nil {
				err = fmt.Errorf("%s: %w", tool, err)
			}
			held <- err
		}()
		<-tools.entered
	}
	if busy.told() || idle.told() {
		t.Fatal("an agent heard hub_closing before the hub was stopped")
	}

	stop := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- h.Stop() }()
	eventually(t, "/readyz to answer 503 draining", func() bool {
		code, body := get(t, h.URL+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "draining")
	})
	eventually(t, "the idle agent to hear hub_closing", idle.told)
	t.Logf("stop → the idle agent told hub_closing: %s", time.Since(stop).Round(time.Millisecond))
	if busy.told() {
		t.Fatal("the agent with a call in flight was told hub_closing before its call ended")
	}
	c := &http.Client{}
	if resp, body := post(t, c, h, h.OwnerKey, "", initBody); resp.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(body, "draining") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("initialize while draining: %d %q (Retry-After %q), want 503 draining with Retry-After", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "busy__b__ok", Arguments: map[string]any{}}); err != nil || res.IsError {
		t.Errorf("a new call of an existing session while draining: %v %v", res, err)
	}
	select {
	case err := <-stopped:
		t.Fatalf("the hub stopped (%v) while a call was in flight", err)
	default:
	}

	select {
	case err := <-held:
		t.Fatalf("a call in flight ended before it was released: %v", err)
	default:
	}
	close(tools.release)
	for range 2 {
		if err := <-held; err != nil {
			t.Fatalf("a call in flight at the stop: %v", err)
		}
	}
	released := time.Now()
	eventually(t, "the busy agent to hear hub_closing", busy.told)
	t.Logf("its call answered → the busy agent told hub_closing: %s", time.Since(released).Round(time.Millisecond))
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the hub did not stop within 60 s of its last call")
	}
}

type callError struct{ res *mcp.CallToolResult }

func (e *callError) Error() string { return "call answered " + textOf(e.res) }

func textOf(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// holdServer is a real go-sdk MCP server: "ok" answers at once, "hold" once released.
type holdServer struct {
	URL     string
	entered chan struct{}
	release chan struct{}
}

func newHoldServer(t *testing.T) *holdServer {
	hs := &holdServer{entered: make(chan struct{}, 16), release: make(chan struct{})}
	server := mcp.NewServer(&mcp.Implementation{Name: "drain", Version: "1"}, nil)
	schema := map[string]any{"type": "object"}
	server.AddTool(&mcp.Tool{Name: "ok", InputSchema: schema}, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil
	})
	server.AddTool(&mcp.Tool{Name: "hold", InputSchema: schema}, func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		hs.entered <- struct{}{}
		select {
		case <-hs.release:
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "released"}}}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	t.Cleanup(srv.Close)
	hs.URL = srv.URL
	return hs
}

// loggedAgent is a real agent (connector, in this process) whose log the test reads.
type loggedAgent struct {
	mu  sync.Mutex
	log bytes.Buffer
}

func (a *loggedAgent) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log.Write(p)
}

// told reports whether the agent logged the hub's hub_closing refusal.
func (a *loggedAgent) told() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Contains(a.log.String(), "the hub is shutting down; reconnecting")
}

func runLoggedAgent(t *testing.T, h *hubtest.Hub, id, url string) *loggedAgent {
	t.Helper()
	la := &loggedAgent{}
	cfg := agentconfig.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = id, h.AgentURL(), h.EnrollAgent(t, id)
	cfg.Backends = []backend.Config{{Name: "b", Transport: backend.TransportHTTP, URL: url}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := connector.New(cfg, connector.Options{Logger: slog.New(slog.NewTextHandler(la, nil)), Version: "drain-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("agent did not stop")
		}
	})
	return la
}

type ownerBearer struct{ key string }

func (b ownerBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

func connectOwner(t *testing.T, h *hubtest.Hub) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "drain-test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.MCPURL(), HTTPClient: &http.Client{Transport: ownerBearer{h.OwnerKey}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}
