package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// The TypeScript SDK's session client (2025 protocol) behind a round-robin balancer across
// two hubs on one PostgreSQL: initialize on one hub, tools/list and tools/call alternating
// between both with the same Mcp-Session-Id. Before, the second request got 404 (the SDK
// client failed 3 of 3 times behind a round-robin balancer).
func TestTSSessionClientAcrossHubs(t *testing.T) {
	node := nodeBin(t)
	srv := mcp.NewServer(&mcp.Implementation{Name: "echo", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "echo", Description: "Echo", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "echoed"}}}, nil
		})
	hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	t.Cleanup(func() { hs.CloseClientConnections(); hs.Close() })
	hubs := hubtest.Cluster(t, 2, func(c *config.Config) {
		c.Backends = []backend.Config{{Name: "echo", Transport: backend.TransportHTTP, URL: hs.URL}}
	})
	for _, h := range hubs { // the backend is ready on both
		if !waitfor.Poll(30*time.Second, func() bool { return hubLists(t, h, "echo__echo") }) {
			t.Fatalf("echo never listed on %s", h.URL)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(repoRoot(t), "e2e", "ts", "roundrobin.mjs"),
		hubs[0].OwnerKey, "echo__echo", hubs[0].URL, hubs[1].URL)
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("roundrobin.mjs: %v\n%s", err, outb)
	}
	var out struct {
		Requests []string          `json:"requests"`
		Connect  json.RawMessage   `json:"connect"`
		Tools    json.RawMessage   `json:"tools"`
		Calls    []json.RawMessage `json:"calls"`
	}
	if err := json.Unmarshal(outb, &out); err != nil {
		t.Fatalf("output %s: %v", outb, err)
	}
	if string(out.Connect) != `{"session":true}` || !strings.Contains(string(out.Tools), "echo__echo") {
		t.Fatalf("connect %s, tools %s (requests %v)", out.Connect, out.Tools, out.Requests)
	}
	for i, c := range out.Calls {
		if string(c) != `"echoed"` {
			t.Errorf("call %d: %s", i, c)
		}
	}
	seen := map[string]bool{}
	for _, r := range out.Requests {
		seen[r[strings.IndexByte(r, ' ')+1:]] = true
	}
	if len(out.Calls) != 4 || len(seen) != 2 {
		t.Fatalf("calls %d, hubs used %v", len(out.Calls), out.Requests)
	}
	t.Logf("requests: %v", out.Requests)
}

// hubLists reports whether h lists tool to its owner, in a new session.
func hubLists(t *testing.T, h *hubtest.Hub, tool string) bool {
	post := func(sid, body string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, h.MCPURL(), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+h.OwnerKey)
		if sid != "" {
			req.Header.Set("Mcp-Session-Id", sid)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	resp, _ := post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	sid := resp.Header.Get("Mcp-Session-Id")
	if sid == "" {
		return false
	}
	_, body := post(sid, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	return strings.Contains(body, tool)
}
