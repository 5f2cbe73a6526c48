package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/ratelimit"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// The HTTP+SSE transport's sessions count against the same per-key cap: a second
// GET /sse of the key is refused with 429 and CodeSessionLimit, another key's is not.
func TestLegacySessionCap(t *testing.T) {
	h := newHarness(t, Config{MaxSessionsPerKey: 1})
	openLegacy(t, h)
	r := h.request(http.MethodGet, "/sse", "")
	r.Header.Set("Accept", "text/event-stream")
	resp := h.do(r)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || decodeMsg(t, b).Error.Code != mcp.CodeSessionLimit {
		t.Fatalf("second GET /sse: %d %s", resp.StatusCode, b)
	}
	openLegacy(t, h, withKey(bobKey))
	if st := h.gw.LimitStats(); st.SessionsRefused != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// tinyRate refuses every request after the burst: the next token is 1,000 s away.
func tinyRate(burst int) *ratelimit.Limiter {
	return ratelimit.New(ratelimit.Config{Key: ratelimit.Rate{PerSecond: 0.001, Burst: burst}})
}

// Each request of a batch takes a token: the one over the rate gets CodeRateLimited in
// its place in the array, the others their results.
func TestBatchRateLimit(t *testing.T) {
	h := newHarness(t, Config{Rate: tinyRate(3)})
	sid := h.initialize("2025-03-26", "") // 1 token
	resp := h.post(sid, `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"ping"}]`)
	b, _ := io.ReadAll(resp.Body)
	var out []rpcMsg
	if err := json.Unmarshal(b, &out); err != nil || len(out) != 3 {
		t.Fatalf("batch reply %s", b)
	}
	if out[0].Error != nil || out[1].Error != nil || out[2].Error == nil || out[2].Error.Code != mcp.CodeRateLimited ||
		!strings.Contains(string(out[2].Error.Data), `"retryAfter":1000`) || resp.Header.Get("Retry-After") != "1000" {
		t.Fatalf("batch reply %s (Retry-After %q)", b, resp.Header.Get("Retry-After"))
	}
}

// On the HTTP+SSE transport the refusal arrives on the stream, like every reply.
func TestLegacyRateLimit(t *testing.T) {
	h := newHarness(t, Config{Rate: tinyRate(1)})
	sid, ev := openLegacy(t, h)
	send := func(body string) {
		t.Helper()
		r := h.request(http.MethodPost, "/messages?sessionId="+sid, body)
		if resp := h.do(r); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST /messages: %d", resp.StatusCode)
		}
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"old","version":"1"}}}`)
	if m := ev.nextMsg(t); m.Error != nil {
		t.Fatalf("initialize within the burst: %+v", m.Error)
	}
	send(`{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	if m := ev.nextMsg(t); string(m.ID) != "2" || m.Error == nil || m.Error.Code != mcp.CodeRateLimited {
		t.Fatalf("ping over the rate: %+v", m)
	}
}

// Anonymous callers (anonymous_role, loopback only) are not rate limited; keys are.
func TestAnonymousNotRateLimited(t *testing.T) {
	h := newHarness(t, Config{Rate: tinyRate(1), AnonymousRole: "admin"})
	for i := range 5 {
		m := h.reply(h.post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, withKey("")))
		if m.Error != nil {
			t.Fatalf("anonymous initialize %d: %+v", i, m.Error)
		}
	}
	h.initialize("2025-11-25", "") // alice's one token
	resp := h.post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if m := h.reply(resp); m.Error == nil || m.Error.Code != mcp.CodeRateLimited {
		t.Fatalf("alice over the rate: %+v", m)
	}
}
