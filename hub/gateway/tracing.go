package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
)

// Tracing (docs/TRACING.md). With Config.Tracer nil nothing here runs: every hook is a nil
// check, on g.cfg.Tracer or on client.tr, and allocates nothing.

// reqMarks are the times of a request's first stages, kept only while tracing is on. The
// spans of auth, decode and limits are made once the call's trace context is known (its
// _meta is in the body), with these times.
type reqMarks struct {
	start, authed, decoded time.Time
	header                 http.Header
}

type reqMarksKey struct{}

// withMarks returns ctx carrying the request's marks, when tracing is on.
func (g *Gateway) withMarks(ctx context.Context, r *http.Request, start time.Time) context.Context {
	return context.WithValue(ctx, reqMarksKey{}, &reqMarks{start: start, authed: time.Now(), header: r.Header})
}

// markDecoded notes that the request's body is decoded.
func markDecoded(ctx context.Context) {
	if m, ok := ctx.Value(reqMarksKey{}).(*reqMarks); ok {
		m.decoded = time.Now()
	}
}

// callTrace is the trace of one dispatched request; nil when tracing is off, and then each
// of its methods does nothing.
type callTrace struct {
	tr   *tracing.Tracer
	ctx  context.Context // carries the request's root span
	root trace.Span
	id   string // the trace id (hex), for the audit row
}

// startTrace starts the request's root span, a child of the client's span when it sent a
// traceparent (in params._meta, else the HTTP header), and the spans of the stages already
// passed. It returns a copy of c that carries the trace.
func (g *Gateway) startTrace(ctx context.Context, c *client, req *jsonrpc.Request) (context.Context, *client) {
	m, _ := ctx.Value(reqMarksKey{}).(*reqMarks)
	var header http.Header
	start := time.Now()
	if m != nil {
		header, start = m.header, m.start
	}
	parent := tracing.Extract(ctx, req.Params, header)
	name, target := req.Method, callTarget(req)
	if target != "" {
		name += " " + target
	}
	t := &callTrace{tr: g.cfg.Tracer}
	t.ctx, t.root = t.tr.Start(parent, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start))
	t.id = t.root.SpanContext().TraceID().String()
	if t.root.IsRecording() {
		t.root.SetAttributes(attribute.String("mcp.method.name", req.Method),
			attribute.String("mcpgw.key_id", c.identity.KeyID), attribute.String("mcpgw.role", c.identity.Role),
			attribute.String("mcpgw.application", c.identity.Application), attribute.String("mcp.protocol.version", c.version))
		if target != "" {
			t.root.SetAttributes(attribute.String(targetAttr(req.Method), target))
		}
		if c.group != nil {
			t.root.SetAttributes(attribute.String("mcpgw.group", c.group.Spec.Name))
		}
		if m != nil {
			t.past("auth", m.start, m.authed)
			if !m.decoded.IsZero() {
				t.past("decode", m.authed, m.decoded)
				t.past("limits", m.decoded, time.Now())
			}
		}
	}
	cc := *c
	cc.tr = t
	return t.ctx, &cc
}

// past records a stage that ended before the trace was known.
func (t *callTrace) past(name string, from, to time.Time) {
	_, sp := t.tr.Start(t.ctx, name, trace.WithTimestamp(from))
	sp.End(trace.WithTimestamp(to))
}

// callTarget is the name a request acts on (tool, prompt or resource URI), if any.
func callTarget(req *jsonrpc.Request) string {
	switch req.Method {
	case mcp.MethodToolsCall, mcp.MethodPromptsGet:
		s, _ := mcp.StringField(req.Params, "name")
		return s
	case mcp.MethodResourcesRead:
		s, _ := mcp.StringField(req.Params, "uri")
		return s
	}
	return ""
}

func targetAttr(method string) string {
	switch method {
	case mcp.MethodToolsCall:
		return "gen_ai.tool.name"
	case mcp.MethodPromptsGet:
		return "mcp.prompt.name"
	}
	return "mcp.resource.uri"
}

// finish ends the root span with the response's outcome.
func (t *callTrace) finish(resp *jsonrpc.Response) {
	setOutcome(t.root, resp, nil)
	t.root.End()
}

// setOutcome marks a span failed by a JSON-RPC error (by its code only: an error message
// may quote the arguments) or by a transport error.
func setOutcome(sp trace.Span, resp *jsonrpc.Response, err error) {
	switch {
	case err != nil:
		sp.SetStatus(codes.Error, "no response")
	case resp == nil:
	case resp.Error != nil:
		code := int64(codeInternal)
		if we, ok := resp.Error.(*jsonrpc.Error); ok {
			code = we.Code
		}
		sp.SetAttributes(attribute.Int64("rpc.jsonrpc.error_code", code))
		sp.SetStatus(codes.Error, "JSON-RPC error "+strconv.FormatInt(code, 10))
	case isToolError(resp.Result):
		sp.SetAttributes(attribute.Bool("mcpgw.tool_error", true))
	}
}

// stage starts the span of one stage; nil when tracing is off.
func (t *callTrace) stage(name string) trace.Span {
	if t == nil {
		return nil
	}
	_, sp := t.tr.Start(t.ctx, name)
	return sp
}

// endRoute ends the route stage with where the name led.
func endRoute(sp trace.Span, tgt router.Target, ok bool) {
	if sp == nil {
		return
	}
	if ok {
		sp.SetAttributes(attribute.String("mcpgw.agent", tgt.Agent), attribute.String("mcpgw.backend", tgt.Backend),
			attribute.String("mcpgw.tool", tgt.Name))
	} else {
		sp.SetAttributes(attribute.Bool("mcpgw.unknown", true))
	}
	sp.End()
}

// endChecks ends the RBAC / tool state / policy stage with its decision.
func endChecks(sp trace.Span, k *call) {
	if sp == nil {
		return
	}
	sp.SetAttributes(attribute.String("mcpgw.decision", k.decision), attribute.String("mcpgw.rule", k.rule),
		attribute.String("mcpgw.risk", k.risk))
	if k.decision == "deny" {
		sp.SetStatus(codes.Error, "denied")
	}
	sp.End()
}

// endStage ends a stage's span.
func endStage(sp trace.Span) {
	if sp != nil {
		sp.End()
	}
}

// upstream starts the span of the call to the backend (hub-local, or through an agent's
// tunnel) and makes it the parent of the next hop: msg's _meta.traceparent is replaced by
// the span's (the client's trace id is kept), and ctx carries it for an HTTP backend's
// traceparent header.
func (t *callTrace) upstream(ctx context.Context, tgt router.Target, msg *jsonrpc.Request) (context.Context, trace.Span) {
	if t == nil {
		return ctx, nil
	}
	via := "local"
	if tgt.Agent != "" {
		via = "tunnel"
	}
	ctx, sp := t.tr.Start(trace.ContextWithSpan(ctx, t.root), "upstream "+via, trace.WithSpanKind(trace.SpanKindClient))
	if sp.IsRecording() {
		sp.SetAttributes(attribute.String("mcpgw.agent", tgt.Agent), attribute.String("mcpgw.backend", tgt.Backend))
	}
	parent, state := tracing.Inject(ctx)
	if p, err := tracing.SetMeta(msg.Params, parent, state); err == nil {
		msg.Params = p
	}
	return backend.WithTraceHeaders(ctx, parent, state), sp
}

// endUpstream ends the upstream span with the call's outcome.
func endUpstream(sp trace.Span, resp *jsonrpc.Response, err error) {
	if sp == nil {
		return
	}
	setOutcome(sp, resp, err)
	sp.End()
}

// auditTraceID is the trace id of the call's audit row: the trace's when tracing is on (the
// client's, or a new one), else the client's traceparent's, or a new time-ordered id.
func (c *client) auditTraceID() string {
	if c.tr != nil {
		return c.tr.id
	}
	return audit.TraceID(c.trace)
}
