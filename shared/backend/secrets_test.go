package backend

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// TestURLSecretsStayOutOfErrors: services put API keys in the URL (?api_key=…, user:password@).
// net/http names the URL in its errors, which became the backend's state error (the agent's
// dashboard, the hub's API), its log, and the error a tool call returns to the MCP client.
// None of them may carry the key; the error still says what failed.
func TestURLSecretsStayOutOfErrors(t *testing.T) {
	const key, password = "sk-live-0123456789abcdef", "pa55w0rd-secret"
	server := mcp.NewServer(&mcp.Implementation{Name: "echo", Version: "1"}, nil)
	server.AddTool(&mcp.Tool{Name: "echo", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil
		})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://user:"+password+"@", 1) + "/mcp?api_key=" + key + "&region=eu"
	b := start(t, Config{Name: "saas", Transport: TransportHTTP, URL: u},
		Options{BackoffBase: 10 * time.Millisecond, BackoffCap: 20 * time.Millisecond})

	srv.CloseClientConnections()
	srv.Close()
	_, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "echo", nil, nil)})
	if err == nil {
		t.Fatal("call succeeded with the server gone")
	}
	waitFor(t, 5*time.Second, "state failed", func() bool { return b.Snapshot().State == protocol.StateFailed })
	state := b.Snapshot().Error
	for what, text := range map[string]string{"call error": err.Error(), "state error": state, "log": b.logs.buf.String()} {
		if strings.Contains(text, key) || strings.Contains(text, password) {
			t.Errorf("%s shows a secret of the URL: %s", what, text)
		}
	}
	if !strings.Contains(state, "127.0.0.1") || !strings.Contains(state, "api_key=") {
		t.Errorf("state error no longer says where it failed: %s", state)
	}
}

// Regression (issue 10, item 1): a stdio server that printed one of the hub's secrets on
// stderr had it logged and shown as the backend's state error. Options.Secrets are scrubbed
// from both, as the URL's are; the rest of the line is kept.
func TestHubSecretsStayOutOfStderrAndState(t *testing.T) {
	const secret = "hub-jwt-secret-0123456789abcdefghij"
	logs := &logBuffer{}
	b := New(Config{Name: "leaky", Transport: TransportStdio, Command: "/bin/sh",
		Args: []string{"-c", "echo stolen " + secret + " >&2; exit 3"}},
		Options{Logger: logs.logger(), Secrets: []string{secret, "ab"}, BackoffBase: time.Second, BackoffCap: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, 30*time.Second, "state failed", func() bool { return b.Snapshot().State == protocol.StateFailed })
	waitFor(t, 30*time.Second, "stderr logged", func() bool { return logs.contains("stolen") })
	state := b.Snapshot().Error
	for what, text := range map[string]string{"state error": state, "log": func() string {
		logs.mu.Lock()
		defer logs.mu.Unlock()
		return logs.buf.String()
	}()} {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows the hub's secret: %s", what, text)
		}
		if !strings.Contains(text, "stolen") {
			t.Errorf("%s lost the rest of the line: %s", what, text)
		}
	}
}

// Issue 10, item 1: a server that puts one of the hub's secrets in what it says about itself
// (here a tool's description) has it scrubbed from the published lists, which reach GET
// /tools and tools/list; the rest of the description is kept, and without secrets the list
// is published as the server sent it.
func TestHubSecretsStayOutOfLists(t *testing.T) {
	const secret = "hub-master-key-ABCDEFGHIJKLMNOPQRSTUV"
	desc := func(r *running) string {
		var tool struct{ Description string }
		snap := r.Snapshot()
		if len(snap.Tools) != 1 || json.Unmarshal(snap.Tools[0], &tool) != nil {
			t.Fatalf("tools: %s", snap.Tools)
		}
		return tool.Description
	}
	cfg := testServerConfig(t, "lister", map[string]string{toolDescriptionEnv: "echoes; key " + secret + " inside"})
	if d := desc(start(t, cfg, Options{Secrets: []string{secret}})); strings.Contains(d, secret) || d != "echoes; key "+redacted+" inside" {
		t.Errorf("description with the secret scrubbed = %q", d)
	}
	if d := desc(start(t, cfg, Options{})); d != "echoes; key "+secret+" inside" {
		t.Errorf("description without secrets to scrub = %q", d)
	}
}
