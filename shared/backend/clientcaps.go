package backend

import "encoding/json"

// ClientCapabilities is implemented by a Sink that knows what its client declared
// (sampling, elicitation, roots). A stateless (2026-07-28) backend then sees the real
// client's capabilities in each request's _meta, not the hub's, so it refuses what the
// client cannot do instead of asking for it.
type ClientCapabilities interface {
	ClientCapabilities() json.RawMessage
}

// clientCapsOf is the sink's declared capabilities, or nil when it does not say.
func clientCapsOf(sink Sink) json.RawMessage {
	if c, ok := sink.(ClientCapabilities); ok {
		return c.ClientCapabilities()
	}
	return nil
}
