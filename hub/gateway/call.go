package gateway

import (
	"encoding/json"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/checks"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// call is one request the gateway forwards to a backend (tools/call, prompts/get,
// resources/*, completion/complete) on its way through the pipeline:
//
//	route → checks (RBAC, tool state, policy) → audit admission → upstream → audit record
//
// Each stage is a function of the call and fills in what it decides. The call holds who asks
// and what that client can do (client: identity, era, capabilities, trace), the request and
// where its mid-call messages go, the route, the checks' verdict, what the audit needs, and
// the request as the backend side is handed it, built in place. The deadline travels in the
// ctx. One allocation per call.
type call struct {
	c     *client
	req   *jsonrpc.Request
	em    emitter   // the client's reply or stream, for the call's notifications and requests
	start time.Time // when the route was known: the audit event's time and duration
	name  string    // the exposed tool or prompt name, or resource URI, the client used
	tgt   router.Target
	// unknown: name routes nowhere, so nothing ran.
	unknown bool
	// The checks' verdict: the tool's risk class and the policy rule and effect that
	// decided ("deny" and the refusing check for any refusal).
	risk, rule, decision string
	// pre holds the request's hash and redacted form, worked out while the backend ran
	// (auditRequestAhead); nil when the event takes them from the request itself.
	pre *requestAudit

	// up and bc are the request as the backend side sees it (backendCall); the call
	// itself is bc's Sink.
	up jsonrpc.Request
	bc backend.Call
}

// newCall starts the call of req, whose name (or URI) routed to tgt, or nowhere: then tgt
// is dropped, since a name outside the client's group may still have resolved to a backend
// the client must not learn of (not even from the audit trail or a metric label).
func newCall(c *client, req *jsonrpc.Request, em emitter, name string, tgt router.Target, routed bool) *call {
	if !routed {
		tgt = router.Target{}
	}
	return &call{c: c, req: req, em: em, start: time.Now(), name: name, tgt: tgt, unknown: !routed}
}

// refuse records who refused the call and returns the refusal.
func (k *call) refuse(r *checks.Refusal) *jsonrpc.Response {
	k.decision, k.rule = "deny", r.Rule
	if r.Rule == "" {
		k.rule = r.By
	}
	return refusal(k.req.ID, r.By, r.Rule, r.Reason)
}

// backendCall is the request, its params rewritten for the backend, as the backend side
// sees it: the message, who asks, which client session it serves, what that client can do
// and which era it speaks, and the call itself as the sink that brings the backend's
// mid-call messages back to the client.
func (k *call) backendCall(params json.RawMessage) *backend.Call {
	c := k.c
	// What the client declared, for stateless backends that check them; a client that
	// declared nothing can do nothing (not: whatever the hub could do).
	caps := c.caps.wire
	if caps == nil {
		caps = json.RawMessage(`{}`)
	}
	k.up = jsonrpc.Request{ID: k.req.ID, Method: k.req.Method, Params: params}
	k.bc = backend.Call{
		Request: &k.up,
		Caller:  c.caller(),
		// The client session, so a shared backend never hands this session's server→client
		// requests or log messages to another.
		Owner:              c.owner,
		ClientCapabilities: caps,
		// A stateless backend's input_required result reaches a stateless client unchanged:
		// the client answers it by retrying, and its retry's inputResponses and requestState
		// (not one of our tokens) go to the backend untouched. A session client cannot retry;
		// the backend layer asks it through the sink instead.
		PassInputRequired: c.sess == nil,
		LogLevel:          c.backendLogLevel(),
		Sink:              k,
	}
	return &k.bc
}

// backendLogLevel is the level a stateless backend is asked to log at for this client's
// call: the session's (logging/setLevel; everything until the client sets one) or the
// modern request's own, none when it sent no logLevel. Everything is "", which the Call
// frame leaves out: an agent older than the field then keeps its fast frame decoder for
// the calls of most session clients. A session's level is read when the call starts:
// lowering it during a call shows in what the hub passes on (wantsLog), not in what that
// call's backend sends.
func (c *client) backendLogLevel() string {
	min := c.logLevel
	if c.sess != nil {
		min = c.sess.logLevel.Load()
	}
	switch {
	case min == 0:
		return ""
	case min >= noLogs || min < 0 || int(min) >= len(mcp.LogLevels):
		return backend.LogNone
	}
	return mcp.LogLevels[min]
}
