package connector

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
)

// Tracing of a call on the agent (docs/TRACING.md): "receive" from the Call frame to the
// Result frame, a child of the hub's upstream span (the hub sets the message's
// _meta.traceparent), and "backend" around the backend's call, whose span context replaces
// the message's _meta.traceparent. With callServer.tracer nil nothing here runs.

// traceReceive starts the receive span of a call, from the message's trace context.
func (c *callServer) traceReceive(ctx context.Context, call *protocol.Call, req *jsonrpc.Request) (context.Context, trace.Span) {
	ctx, sp := c.tracer.Start(tracing.Extract(ctx, req.Params, nil), "receive", trace.WithSpanKind(trace.SpanKindServer))
	if sp.IsRecording() {
		sp.SetAttributes(attribute.String("mcpgw.agent", c.agentID), attribute.String("mcpgw.backend", call.Backend),
			attribute.String("mcpgw.key_id", call.Caller.KeyID), attribute.String("mcpgw.application", call.Caller.Application))
	}
	return ctx, sp
}

// traceBackend starts the backend span and makes it the backend's parent: in the request's
// _meta, and in the headers of an HTTP backend's requests.
func (c *callServer) traceBackend(ctx context.Context, backendName string, req *jsonrpc.Request) (context.Context, trace.Span) {
	ctx, sp := c.tracer.Start(ctx, "backend", trace.WithSpanKind(trace.SpanKindClient))
	if sp.IsRecording() {
		sp.SetAttributes(attribute.String("mcpgw.backend", backendName), attribute.String("mcp.method.name", req.Method))
	}
	parent, state := tracing.Inject(ctx)
	if p, err := tracing.SetMeta(req.Params, parent, state); err == nil {
		req.Params = p
	}
	return backend.WithTraceHeaders(ctx, parent, state), sp
}

// endSpan ends a span with the call's outcome: a JSON-RPC error by its code only (its
// message may quote the arguments).
func endSpan(sp trace.Span, resp *jsonrpc.Response, err error) {
	switch {
	case err != nil:
		sp.SetStatus(codes.Error, "no response")
	case resp != nil && resp.Error != nil:
		if we, ok := resp.Error.(*jsonrpc.Error); ok {
			sp.SetAttributes(attribute.Int64("rpc.jsonrpc.error_code", we.Code))
		}
		sp.SetStatus(codes.Error, "JSON-RPC error")
	}
	sp.End()
}
