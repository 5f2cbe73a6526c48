package tracing

import (
	"context"
	"encoding/json"
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// Keys of the W3C Trace Context, as HTTP headers (any case) and as params._meta members
// (the MCP convention, lowercase).
const (
	KeyParent = "traceparent"
	KeyState  = "tracestate"
)

// carrier is one message's trace context, for the SDK's W3C propagator.
type carrier struct{ parent, state string }

func (c *carrier) Get(key string) string {
	switch key {
	case KeyParent:
		return c.parent
	case KeyState:
		return c.state
	}
	return ""
}

func (c *carrier) Set(key, val string) {
	switch key {
	case KeyParent:
		c.parent = val
	case KeyState:
		c.state = val
	}
}

func (c *carrier) Keys() []string { return []string{KeyParent, KeyState} }

// Extract returns ctx carrying the caller's span context: the one in params._meta when it
// holds a valid traceparent (the MCP convention, which names this very request), else the
// one in header (nil: none). An absent or invalid traceparent leaves ctx as it is, and the
// next span starts a new trace. The SDK's propagator does the parsing.
func Extract(ctx context.Context, params []byte, header http.Header) context.Context {
	if meta, ok := mcp.Field(params, "_meta"); ok {
		var c carrier
		c.parent, _ = mcp.StringField(meta, KeyParent)
		if c.parent != "" {
			c.state, _ = mcp.StringField(meta, KeyState)
			if out := propagator.Extract(ctx, &c); trace.SpanContextFromContext(out).IsValid() {
				return out
			}
		}
	}
	if header != nil {
		if p := header.Get(KeyParent); p != "" {
			return propagator.Extract(ctx, &carrier{parent: p, state: header.Get(KeyState)})
		}
	}
	return ctx
}

// Inject returns the traceparent and tracestate that make the span in ctx the parent of
// the next hop's spans; "" when ctx has no valid span context.
func Inject(ctx context.Context) (parent, state string) {
	var c carrier
	propagator.Inject(ctx, &c)
	return c.parent, c.state
}

// SetMeta returns params (a JSON object, or empty for none) with _meta.traceparent set to
// parent, and _meta.tracestate to state when it is not empty (the values Inject returns):
// the next hop (agent or backend) then continues the trace under that span. Every other
// byte of params passes through unchanged; an empty parent returns params itself.
func SetMeta(params []byte, parent, state string) ([]byte, error) {
	if parent == "" {
		return params, nil
	}
	set := make([]mcp.Member, 1, 2)
	set[0] = mcp.Member{Key: KeyParent, Value: quote(parent)}
	if state != "" {
		set = append(set, mcp.Member{Key: KeyState, Value: quote(state)})
	}
	return mcp.MergeField(params, "_meta", set)
}

func quote(s string) json.RawMessage { return mcp.AppendString(nil, s) }
