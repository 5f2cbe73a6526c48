package gateway

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/ratelimit"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// limitKey names the caller that a session cap or a rate counts against: the API key;
// without one, the user (signed in with a token); anonymous callers share one.
func limitKey(id auth.Identity) string {
	if id.KeyID != "" {
		return id.KeyID
	}
	return "user:" + id.UserID
}

// LimitStats are the gateway's counts at its session bounds since start.
type LimitStats struct {
	SessionsRefused int64 // initialize or GET /sse refused at max_sessions_per_key
	ListensRefused  int64 // subscriptions/listen refused at max_listens_per_key
	ExpiredIdle     int64 // sessions ended after session_idle without a request
	ExpiredUnused   int64 // sessions ended after session_idle_unused, never used
}

type limitCounters struct {
	sessionsRefused, listensRefused, expiredIdle, expiredUnused atomic.Int64
}

// LimitStats returns the counts.
func (g *Gateway) LimitStats() LimitStats {
	return LimitStats{
		SessionsRefused: g.counts.sessionsRefused.Load(), ListensRefused: g.counts.listensRefused.Load(),
		ExpiredIdle: g.counts.expiredIdle.Load(), ExpiredUnused: g.counts.expiredUnused.Load(),
	}
}

// expireEvery is how often idle sessions are looked for: often enough that a session
// outlives its idle time by at most a quarter of it, at most once a minute.
func expireEvery(shortest time.Duration) time.Duration {
	return min(max(shortest/4, 10*time.Millisecond), time.Minute)
}

// writeLimit refuses a new session or stream at a per-key cap: HTTP 429 (the Streamable
// HTTP transport answers a message it cannot accept with an HTTP error status; 429 says
// "back off", and the cap frees as the key's sessions end), with a JSON-RPC error of code
// mcp.CodeSessionLimit that names the setting.
func writeLimit(w http.ResponseWriter, id jsonrpc.ID, what, setting string, limit int) {
	msg := "this key already has " + strconv.Itoa(limit) + " open " + what + " (" + setting +
		"); end some (DELETE /mcp with their Mcp-Session-Id, or close the streams) or wait for idle ones to expire"
	resp := mcp.ErrorResponse(id, mcp.CodeSessionLimit, msg, map[string]any{"limit": limit, "setting": setting})
	writeJSONBody(w, http.StatusTooManyRequests, encode(resp))
}

// overRate takes one request of the caller's rate. Over it, it sets Retry-After and
// returns the error for the request: JSON-RPC code mcp.CodeRateLimited with data
// {"retryAfter": seconds}, in a 200 like any failed call, so that SDK clients hand the
// message and its data to the caller instead of a bare HTTP status.
func (g *Gateway) overRate(w http.ResponseWriter, r *http.Request, id jsonrpc.ID) *jsonrpc.Response {
	if g.cfg.Rate == nil {
		return nil
	}
	who := identityFrom(r.Context())
	if who.KeyID == "" && who.UserID == anonymousID {
		// Anonymous access is local by construction (loopback listener, no proxy headers):
		// one developer's own clients, or a test suite that cannot send a key. A rate limit
		// protects a shared hub from keys; here it would only throttle the machine's owner.
		return nil
	}
	ref := g.cfg.Rate.Allow(ratelimit.Subject{Key: limitKey(who), Application: who.Application})
	if ref == nil {
		return nil
	}
	w.Header().Set("Retry-After", strconv.Itoa(ref.Seconds()))
	return mcp.ErrorResponse(id, mcp.CodeRateLimited, ref.Error(),
		map[string]any{"retryAfter": ref.Seconds(), "scope": ref.Scope, "setting": ref.Setting})
}
