package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// post sends one JSON-RPC message to /mcp and returns the response with its body read.
func post(t *testing.T, c *http.Client, h *hubtest.Hub, key, sid, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.MCPURL(), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+key)
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST /mcp: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// initialize opens a session and returns its id.
func initialize(t *testing.T, c *http.Client, h *hubtest.Hub, key string) string {
	t.Helper()
	resp, body := post(t, c, h, key, "", initBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("initialize: %d %s", resp.StatusCode, body)
	}
	return sid
}

// rpc sends a request in a session and returns the reply's body.
func rpc(t *testing.T, c *http.Client, h *hubtest.Hub, key, sid, body string) string {
	t.Helper()
	_, out := post(t, c, h, key, sid, body)
	return out
}
