package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// rpcError decodes a JSON-RPC error reply.
func rpcError(t *testing.T, body string) (code int, msg string, data map[string]any) {
	t.Helper()
	var m struct {
		Error *struct {
			Code    int            `json:"code"`
			Message string         `json:"message"`
			Data    map[string]any `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.Error == nil {
		return 0, "", nil
	}
	return m.Error.Code, m.Error.Message, m.Error.Data
}

// rest calls GET /api/v1/auth/me with key.
func rest(t *testing.T, h *hubtest.Hub, key string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.URL+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// A rate so small that, once the burst is spent, the next token is 1,000 s away: the
// refusals do not depend on how fast the machine is.
const tinyRate = 0.001

// TestKeyRateLimit: within its burst a key's calls pass; the next MCP call gets
// CodeRateLimited with data.retryAfter and a Retry-After header, the next REST call 429
// with Retry-After; another key is not affected.
func TestKeyRateLimit(t *testing.T) {
	h := hubtest.Start(t, func(c *config.Config) { c.Limits.KeyRate, c.Limits.KeyBurst = tinyRate, 2 })
	c := &http.Client{Timeout: 30 * time.Second}
	a, b := newKey(t, h, "a"), newKey(t, h, "b")

	sid := initialize(t, c, h, a)                                                                                       // 1
	if got := rpc(t, c, h, a, sid, `{"jsonrpc":"2.0","id":2,"method":"ping"}`); !strings.Contains(got, `"result":{}`) { // 2
		t.Fatalf("call within the burst: %s", got)
	}
	resp, body := post(t, c, h, a, sid, `{"jsonrpc":"2.0","id":3,"method":"ping"}`)
	code, msg, data := rpcError(t, body)
	if resp.StatusCode != http.StatusOK || code != -32029 || data["retryAfter"] != float64(1000) || data["scope"] != "key" ||
		!strings.Contains(msg, "limits.key_rate") || resp.Header.Get("Retry-After") != "1000" {
		t.Fatalf("call over the rate: %d %v %s", resp.StatusCode, resp.Header, body)
	}

	sidB := initialize(t, c, h, b)
	if got := rpc(t, c, h, b, sidB, `{"jsonrpc":"2.0","id":2,"method":"ping"}`); !strings.Contains(got, `"result":{}`) {
		t.Fatalf("another key's call: %s", got)
	}
	// b has used its burst on /mcp: the REST API shares the key's rate.
	r, body := rest(t, h, b)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "1000" || !strings.Contains(body, `"rate_limited"`) {
		t.Fatalf("REST over the rate: %d %v %s", r.StatusCode, r.Header, body)
	}
	fresh := newKey(t, h, "fresh")
	for i := range 2 {
		if r, body := rest(t, h, fresh); r.StatusCode != http.StatusOK {
			t.Fatalf("REST call %d within the burst: %d %s", i, r.StatusCode, body)
		}
	}
	if r, _ := rest(t, h, fresh); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("REST call over the burst: %d", r.StatusCode)
	}
	if st := h.Server.RateStats(); st.Refused["key"] != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// TestApplicationRateLimit: the keys of one application share its rate; a key of
// another application is not affected. A stateless request is refused the same way.
func TestApplicationRateLimit(t *testing.T) {
	h := hubtest.Start(t, func(c *config.Config) { c.Limits.ApplicationRate, c.Limits.ApplicationBurst = tinyRate, 2 })
	c := &http.Client{Timeout: 30 * time.Second}
	k1, k2, other := newKey(t, h, "ci"), newKey(t, h, "ci"), newKey(t, h, "cursor")
	initialize(t, c, h, k1)
	initialize(t, c, h, k2)
	resp, body := post(t, c, h, k1, "", initBody)
	if code, msg, data := rpcError(t, body); code != -32029 || data["scope"] != "application" || !strings.Contains(msg, "limits.application_rate") {
		t.Fatalf("third call of the application: %d %s", resp.StatusCode, body)
	}
	if n, _ := strconv.Atoi(resp.Header.Get("Retry-After")); n < 1 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	initialize(t, c, h, other)

	const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	req, _ := http.NewRequest(http.MethodPost, h.MCPURL(), strings.NewReader(`{"jsonrpc":"2.0","id":9,"method":"tools/list","params":{`+meta+`}}`))
	req.Header.Set("Authorization", "Bearer "+k2)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "tools/list")
	r, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if code, _, data := rpcError(t, string(b)); code != -32029 || data["retryAfter"] == nil {
		t.Fatalf("stateless call over the application's rate: %d %s", r.StatusCode, b)
	}
}
