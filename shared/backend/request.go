package backend

import (
	"encoding/json"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// LogNone is the Call.LogLevel of a client that wants no log messages (a stateless request
// without io.modelcontextprotocol/logLevel).
const LogNone = "none"

// Call is one request on its way to a backend, with everything the backend side needs to
// know about it: who asks, what the client can do, and where mid-call messages go. The
// caller builds it once and passes it down every stage; its deadline travels in the ctx.
// A stage must not modify it: a stage that needs another request copies the Call.
type Call struct {
	Request *jsonrpc.Request
	// Caller is who asks; the hub sends it to an agent in the call frame.
	Caller protocol.Caller
	// Owner names the client session the call serves ("" if unknown). Calls of different
	// owners never get each other's server→client requests or log messages (routeTarget).
	Owner string
	// ClientCapabilities are what the real client declared, nil if unknown. A stateless
	// (2026-07-28) backend then sees them in each request's _meta instead of the hub's, so
	// it refuses what the client cannot do instead of asking for it.
	ClientCapabilities json.RawMessage
	// PassInputRequired means the client speaks the stateless era itself: an input_required
	// result goes back to it unchanged (it retries with inputResponses) instead of being
	// answered through Sink.Request.
	PassInputRequired bool
	// LogLevel is the least severe log level the client wants for this call: a level name
	// ("debug" … "emergency"), LogNone for no log messages at all, or "" for every message
	// (also when not known, as before the field). A stateless (2026-07-28)
	// backend gets it as the request's io.modelcontextprotocol/logLevel, so a server does not
	// make and send log messages nobody reads; the hub still filters what reaches each client.
	LogLevel string
	// Sink receives the call's notifications and server→client requests; nil if nobody
	// listens (then the server's requests are refused).
	Sink Sink
}
