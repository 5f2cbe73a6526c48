package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	hubconfig "github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// BenchmarkCallThroughHub is one tools/call echo through hub → tunnel → agent → stdio
// server-everything, everything but the server in this process (for profiles). The bench
// command bench/callbench measures the same with separate processes against the direct path.
func BenchmarkCallThroughHub(b *testing.B) { benchCallThroughHub(b, nil) }

// BenchmarkCallThroughHubPolicy50 is the same with a 50-rule policy whose deciding rule is
// the last one (the worst case for first-match evaluation), for the governance overhead.
func BenchmarkCallThroughHubPolicy50(b *testing.B) {
	var p strings.Builder
	p.WriteString("default = \"deny\"\n")
	for i := range 49 {
		fmt.Fprintf(&p, "[[rules]]\nname = \"r%d\"\neffect = \"deny\"\ntools = [\"other%d__*\"]\nroles = [\"viewer\"]\n", i, i)
	}
	p.WriteString("[[rules]]\nname = \"owner-echo\"\neffect = \"allow\"\ntools = [\"*__echo\"]\nroles = [\"owner\"]\n")
	path := filepath.Join(b.TempDir(), "policy.toml")
	if err := os.WriteFile(path, []byte(p.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	benchCallThroughHub(b, func(c *hubconfig.Config) { c.PolicyFile = path })
}

func benchCallThroughHub(b *testing.B, mod func(*hubconfig.Config)) {
	everything := npmBin(b, "mcp-server-everything")
	hub := hubtest.Start(b, mod)
	key := hub.EnrollAgent(b, "bench")
	cfg := config.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = "bench", hub.AgentURL(), key
	cfg.Backends = []backend.Config{{Name: "everything", Transport: "stdio", Command: everything}}
	ag, err := connector.New(cfg, connector.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })

	c := &rawClient{url: hub.MCPURL(), key: hub.OwnerKey, http: &http.Client{}}
	if err := c.initialize(); err != nil {
		b.Fatal(err)
	}
	waitFor(b, 60*time.Second, "bench tools", func() bool {
		body, err := c.post(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
		return err == nil && strings.Contains(body, "bench__everything__echo")
	})
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		body, err := c.post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"bench__everything__echo","arguments":{"message":"m%d"}}}`, i+2, i))
		if err != nil || !strings.Contains(body, fmt.Sprintf("m%d", i)) {
			b.Fatalf("call %d: %v %s", i, err, body)
		}
	}
}

// rawClient is a lean MCP client: raw JSON-RPC over HTTP, no SDK costs.
type rawClient struct {
	url, key, session string
	http              *http.Client
}

func (c *rawClient) initialize() error {
	_, err := c.post(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
	return err
}

func (c *rawClient) post(body string) (string, error) {
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if s := resp.Header.Get("Mcp-Session-Id"); s != "" {
		c.session = s
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return string(b), err
}
