package upstream_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	agentconfig "github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	mcpgw "github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// toolServer is a real go-sdk MCP server on 127.0.0.1 with tools that misbehave on demand.
type toolServer struct {
	URL       string
	cancelled chan string   // "hang" and "hold" calls whose context ended before they were done
	entered   chan struct{} // a "hold" call started
	release   chan struct{} // closed: "hold" calls return
	healed    atomic.Bool   // "hang" answers at once
}

func newToolServer(t *testing.T) *toolServer {
	ts := &toolServer{cancelled: make(chan string, 16), entered: make(chan struct{}, 16), release: make(chan struct{})}
	server := mcp.NewServer(&mcp.Implementation{Name: "bounds", Version: "1"}, nil)
	schema := map[string]any{"type": "object"}
	server.AddTool(&mcp.Tool{Name: "ok", InputSchema: schema}, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return text("ok"), nil
	})
	// hang never answers (until healed): it returns only when its call is cancelled, and
	// records that.
	server.AddTool(&mcp.Tool{Name: "hang", InputSchema: schema}, func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if ts.healed.Load() {
			return text("healed"), nil
		}
		<-ctx.Done()
		ts.cancelled <- "hang"
		return nil, ctx.Err()
	})
	// hold answers once the test releases it.
	server.AddTool(&mcp.Tool{Name: "hold", InputSchema: schema}, func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ts.entered <- struct{}{}
		select {
		case <-ts.release:
			return text("released"), nil
		case <-ctx.Done():
			ts.cancelled <- "hold"
			return nil, ctx.Err()
		}
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ts.URL = srv.URL
	return ts
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

// startHub starts a hub with these hub-local backends and [calls] changed by mod.
func startHub(t *testing.T, backends []backend.Config, mod func(*config.Calls)) *hubtest.Hub {
	return hubtest.Start(t, func(c *config.Config) {
		c.Backends = backends
		if mod != nil {
			mod(&c.Calls)
		}
	})
}

// runAgent runs a real agent (connector, in this process) with these backends until the
// test ends.
func runAgent(t *testing.T, h *hubtest.Hub, id string, backends []backend.Config) {
	t.Helper()
	cfg := agentconfig.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = id, h.AgentURL(), h.EnrollAgent(t, id)
	cfg.Backends = backends
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := connector.New(cfg, connector.Options{Logger: slog.New(slog.DiscardHandler), Version: "bounds-test",
		RefusedRetry: time.Minute, Backoff: connector.Backoff{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond}})
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
}

// bearer adds the API key to every request.
type bearer struct {
	key  string
	base http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.base.RoundTrip(r)
}

// connect opens a go-sdk client session to the hub as its owner, closed when the test ends.
func connect(t *testing.T, h *hubtest.Hub) *mcp.ClientSession {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := mcp.NewClient(&mcp.Implementation{Name: "bounds-test", Version: "1"}, nil)
	cs, err := client.Connect(ctxFor(t, 60*time.Second), &mcp.StreamableClientTransport{
		Endpoint: h.MCPURL(), HTTPClient: &http.Client{Transport: bearer{h.OwnerKey, tr}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// call calls a tool and returns the JSON-RPC error the hub answered with, if any.
func call(ctx context.Context, cs *mcp.ClientSession, tool string) (*mcp.CallToolResult, *jsonrpc.Error, error) {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}})
	var we *jsonrpc.Error
	if errors.As(err, &we) {
		return nil, we, nil
	}
	return res, nil, err
}

// mustOK calls a tool that must succeed.
func mustOK(t *testing.T, cs *mcp.ClientSession, tool string) {
	t.Helper()
	res, we, err := call(ctxFor(t, 60*time.Second), cs, tool)
	if err != nil || we != nil || res.IsError {
		t.Fatalf("%s: result %+v, JSON-RPC error %v, error %v", tool, res, we, err)
	}
}

// mustFail calls a tool that must get the JSON-RPC error code, with a message containing
// every one of want.
func mustFail(t *testing.T, cs *mcp.ClientSession, tool string, code int64, want ...string) *jsonrpc.Error {
	t.Helper()
	res, we, err := call(ctxFor(t, 60*time.Second), cs, tool)
	return expectError(t, tool, res, we, err, code, want)
}

// expectError checks that a call failed with the JSON-RPC error code and that its message
// names everything in want.
func expectError(t *testing.T, tool string, res *mcp.CallToolResult, we *jsonrpc.Error, err error, code int64, want []string) *jsonrpc.Error {
	t.Helper()
	if we == nil || we.Code != code {
		t.Fatalf("%s: want JSON-RPC error %d; got result %+v, error %v / %v", tool, code, res, we, err)
	}
	for _, w := range want {
		if !strings.Contains(we.Message, w) {
			t.Errorf("%s: message %q does not contain %q", tool, we.Message, w)
		}
	}
	return we
}

// mustFailRouted is mustFail for a tool of a backend that restarts between calls: a call that
// finds the tool gone from the routing table (listed a moment before, then withdrawn as the
// backend went down) never reached the upstream, so it is made again once the tool is back.
func mustFailRouted(t *testing.T, h *hubtest.Hub, cs *mcp.ClientSession, tool string, code int64, want ...string) *jsonrpc.Error {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		waitTools(t, h, tool)
		res, we, err := call(ctxFor(t, 60*time.Second), cs, tool)
		if we != nil && we.Code == mcpgw.CodeInvalidParams && strings.Contains(we.Message, "unknown tool") && time.Now().Before(deadline) {
			continue
		}
		return expectError(t, tool, res, we, err, code, want)
	}
}

// waitFor polls cond until it holds, within a deadline generous for a loaded machine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // a poll of state that has no event to wait on
	}
}

// receive waits for a value on ch.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(60 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// noLeaks checks, once everything the test started has been cleaned up, that the number of
// goroutines is back to where it was. Register it first: cleanups run last-in first-out.
func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(30 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("%d goroutines left behind (%d before):\n%s", runtime.NumGoroutine()-before, before, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(10 * time.Millisecond) // goroutines end without an event to wait on: poll
		}
	})
}
