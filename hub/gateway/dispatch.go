package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// JSON-RPC error codes the gateway answers with.
const (
	codeParseError       = -32700
	codeInvalidRequest   = -32600
	codeMethodNotFound   = -32601
	codeInvalidParams    = -32602
	codeInternal         = -32603
	codeUnavailable      = -32002 // the backend or the agent behind it cannot be reached
	codePolicyDenied     = -32010 // the policy refused a tools/call; data: {"rule", "reason"} (not -32003: the go-sdk reads that as "client is closing")
	codeRequestCancelled = -32800
	codeUnauthorized     = -32001 // no valid credential (any longer): a missing or revoked key
)

// dispatch serves one client request of an initialized session, in a trace of its own when
// tracing is on.
func (g *Gateway) dispatch(ctx context.Context, c *client, req *jsonrpc.Request, em emitter) *jsonrpc.Response {
	if g.cfg.Tracer == nil || c.tr != nil {
		return g.dispatchMethod(ctx, c, req, em)
	}
	ctx, c = g.startTrace(ctx, c, req)
	resp := g.dispatchMethod(ctx, c, req, em)
	c.tr.finish(resp)
	return resp
}

// dispatchMethod serves one client request by its method.
func (g *Gateway) dispatchMethod(ctx context.Context, c *client, req *jsonrpc.Request, em emitter) *jsonrpc.Response {
	t := g.tables.Table()
	switch req.Method {
	case "ping":
		return result(req.ID, json.RawMessage(`{}`))
	case "tools/list":
		if c.discovery {
			return g.surfaceList(c, req)
		}
		return g.list(req, "tools", t.ToolList(), g.toolKeep(c, t))
	case "prompts/list":
		return g.list(req, "prompts", g.inGroup(c, g.reachable(c, t.PromptList()), t.Prompt), nil)
	case "resources/list":
		return g.list(req, "resources", g.inGroup(c, g.reachable(c, t.ResourceList()), t.Resource), nil)
	case "resources/templates/list":
		return g.list(req, "resourceTemplates", g.inGroup(c, g.reachable(c, t.ResourceTemplateList()), t.ResourceTemplate), nil)
	case "tools/call":
		if c.discovery {
			return g.surfaceCall(ctx, c, req, em, t)
		}
		return g.forwardNamed(ctx, c, req, em, "tool", t)
	case "prompts/get":
		return g.forwardNamed(ctx, c, req, em, "prompt", t)
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		return g.forwardURI(ctx, c, req, em, t)
	case "completion/complete":
		return g.complete(ctx, c, req, em, t)
	case "logging/setLevel":
		return g.setLevel(c, req)
	case "initialize":
		return errorResponse(req.ID, codeInvalidRequest, "session is already initialized")
	}
	return errorResponse(req.ID, codeMethodNotFound, "method "+strconv.Quote(req.Method)+" is not supported")
}

// params decodes a request's params as an object of raw members.
func params(req *jsonrpc.Request) (map[string]json.RawMessage, error) {
	p := map[string]json.RawMessage{}
	if len(req.Params) == 0 || string(req.Params) == "null" {
		return p, nil
	}
	if err := json.Unmarshal(req.Params, &p); err != nil {
		return nil, errors.New("params must be an object")
	}
	return p, nil
}

// reachable is a list of prompts or resources as the caller may see it: all of it, or none
// without the permission to use backends (checks.Chain.Reachable).
func (g *Gateway) reachable(c *client, l router.List) router.List {
	if !g.checks().MayUseBackends(c.identity.Role) {
		return router.List{}
	}
	return l
}

// list answers a */list request with the page of l (the items keep lets through) that
// follows the request's cursor.
func (g *Gateway) list(req *jsonrpc.Request, field string, l router.List, keep func(int) bool) *jsonrpc.Response {
	p, err := params(req)
	if err != nil {
		return errorResponse(req.ID, codeInvalidParams, err.Error())
	}
	var cursor string
	if c, ok := p["cursor"]; ok && json.Unmarshal(c, &cursor) != nil {
		return errorResponse(req.ID, codeInvalidParams, "cursor must be a string")
	}
	page, next, err := l.Page(cursor, g.cfg.PageSize, keep)
	if err != nil {
		return errorResponse(req.ID, codeInvalidParams, "invalid cursor: "+err.Error())
	}
	return result(req.ID, appendPage(nil, field, page, next))
}

// appendPage appends the result of a */list page to b in one allocation: a page of
// 50,000 tools' listing is ≈ 75 KB, and growing a buffer to it zeroed and copied it twice
// over (a third of the hub's CPU for a full tools/list of 10,000 agents).
func appendPage(b []byte, field string, page []json.RawMessage, next string) []byte {
	n := len(field) + len(next) + 32
	for _, it := range page {
		n += len(it) + 1
	}
	b = slices.Grow(b, n)
	b = append(append(append(b, `{"`...), field...), `":[`...)
	for i, it := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	b = append(b, ']')
	if next != "" {
		b = mcp.AppendString(append(b, `,"nextCursor":`...), next)
	}
	return append(b, '}')
}

// forwardNamed routes a request whose params carry an exposed "name". It touches only that
// member of the params (and the arguments when the policy has conditions on them): this is
// the tools/call hot path. A tool call passes the policy first.
func (g *Gateway) forwardNamed(ctx context.Context, c *client, req *jsonrpc.Request, em emitter, kind string, tbl *router.Table) *jsonrpc.Response {
	lookup := tbl.Prompt
	if kind == "tool" {
		lookup = tbl.Tool
	}
	if p := bytes.TrimSpace(req.Params); len(p) == 0 || p[0] != '{' {
		return errorResponse(req.ID, codeInvalidParams, "params must be an object")
	}
	name, ok := mcp.StringField(req.Params, "name")
	if !ok || name == "" {
		return errorResponse(req.ID, codeInvalidParams, "params.name must be a non-empty string")
	}
	route := c.tr.stage("route")
	t, ok := lookup(name)
	if ok && !g.groupHas(c, kind, tbl, t) {
		ok = false // outside the endpoint's group: exactly as if it did not exist
	}
	endRoute(route, t, ok)
	k := newCall(c, req, em, name, t, ok)
	if !ok {
		// Audited too: probing for tools that are not there is worth seeing.
		return g.record(k, errorResponse(req.ID, codeInvalidParams, g.unknown(kind, name)))
	}
	if kind == "tool" {
		checks := c.tr.stage("checks")
		refused := g.checkTool(k, tbl)
		endChecks(checks, k)
		if refused != nil {
			return g.record(k, refused)
		}
	} else if refused := g.checkMCP(k); refused != nil {
		return refused
	}
	raw, err := mcp.SetStringField(req.Params, "name", t.Name)
	if err != nil {
		return errorResponse(req.ID, codeInvalidParams, "params: "+err.Error())
	}
	return g.forward(ctx, k, raw)
}

// unknown explains a name that routes nowhere, naming the agent when it is the reason.
func (g *Gateway) unknown(kind, name string) string {
	if agent, _, ok := strings.Cut(name, "__"); ok && g.agentGone(agent) {
		return "agent " + strconv.Quote(agent) + " is not connected: " + kind + " " + strconv.Quote(name) + " is unavailable"
	}
	return "unknown " + kind + " " + strconv.Quote(name)
}

func (g *Gateway) forwardURI(ctx context.Context, c *client, req *jsonrpc.Request, em emitter, t *router.Table) *jsonrpc.Response {
	p, err := params(req)
	if err != nil {
		return errorResponse(req.ID, codeInvalidParams, err.Error())
	}
	var uri string
	if json.Unmarshal(p["uri"], &uri) != nil || uri == "" {
		return errorResponse(req.ID, codeInvalidParams, "params.uri must be a non-empty string")
	}
	tgt, ok := t.Resource(uri)
	if ok && c.group != nil && !c.group.hasOther(tgt) {
		ok = false
	}
	k := newCall(c, req, em, uri, tgt, ok)
	if !ok {
		// SEP-2164: a resource that does not exist is invalid params naming the URI in data.
		return g.record(k, mcp.ErrorResponse(req.ID, codeInvalidParams, g.unknownURI(uri), map[string]string{"uri": uri}))
	}
	if refused := g.checkMCP(k); refused != nil {
		return refused
	}
	p["uri"], _ = json.Marshal(tgt.Name)
	forward := func() *jsonrpc.Response { return g.forwardMap(ctx, k, p) }
	var resp *jsonrpc.Response
	switch holder := c.holder(); {
	case holder == "" || req.Method == "resources/read":
		resp = forward()
	case req.Method == "resources/subscribe":
		resp = g.upsubs.subscribe(tgt, holder, forward)
	default:
		resp = g.upsubs.unsubscribe(tgt, holder, forward)
	}
	if resp == nil {
		// The backend holds the subscription for other clients: nothing to ask it.
		resp = g.record(k, result(req.ID, json.RawMessage(`{}`)))
	}
	if resp.Error != nil {
		return resp
	}
	switch req.Method {
	case "resources/subscribe":
		if c.sess != nil {
			c.sess.subscribe(uri, true)
		}
	case "resources/unsubscribe":
		if c.sess != nil {
			c.sess.subscribe(uri, false)
		}
	case "resources/read":
		if tgt.Name != uri {
			resp.Result = rewriteContentsURI(resp.Result, tgt.Name, uri)
		}
	}
	return resp
}

func (g *Gateway) unknownURI(uri string) string {
	return "unknown resource " + strconv.Quote(uri)
}

// rewriteContentsURI shows the client the URI it asked for in resources/read contents.
func rewriteContentsURI(res json.RawMessage, from, to string) json.RawMessage {
	var r map[string]json.RawMessage
	if json.Unmarshal(res, &r) != nil {
		return res
	}
	var contents []map[string]json.RawMessage
	if json.Unmarshal(r["contents"], &contents) != nil {
		return res
	}
	toJSON, _ := json.Marshal(to)
	for _, c := range contents {
		var u string
		if json.Unmarshal(c["uri"], &u) == nil && u == from {
			c["uri"] = toJSON
		}
	}
	r["contents"], _ = json.Marshal(contents)
	out, err := json.Marshal(r)
	if err != nil {
		return res
	}
	return out
}

func (g *Gateway) complete(ctx context.Context, c *client, req *jsonrpc.Request, em emitter, t *router.Table) *jsonrpc.Response {
	p, err := params(req)
	if err != nil {
		return errorResponse(req.ID, codeInvalidParams, err.Error())
	}
	var ref map[string]json.RawMessage
	if json.Unmarshal(p["ref"], &ref) != nil {
		return errorResponse(req.ID, codeInvalidParams, "params.ref must be an object")
	}
	var typ, name, uri string
	_ = json.Unmarshal(ref["type"], &typ)
	_ = json.Unmarshal(ref["name"], &name)
	_ = json.Unmarshal(ref["uri"], &uri)
	var tgt router.Target
	var ok bool
	switch typ {
	case "ref/prompt":
		if tgt, ok = t.Prompt(name); ok {
			ref["name"], _ = json.Marshal(tgt.Name)
		}
	case "ref/resource":
		if tgt, ok = t.ResourceTemplate(uri); !ok {
			tgt, ok = t.Resource(uri)
		}
		if ok {
			ref["uri"], _ = json.Marshal(tgt.Name)
		}
	default:
		return errorResponse(req.ID, codeInvalidParams, "params.ref.type must be ref/prompt or ref/resource")
	}
	if ok && c.group != nil && !c.group.hasOther(tgt) {
		ok = false
	}
	k := newCall(c, req, em, name+uri, tgt, ok)
	if !ok {
		return g.record(k, errorResponse(req.ID, codeInvalidParams, "unknown completion reference "+strconv.Quote(name+uri)))
	}
	if refused := g.checkMCP(k); refused != nil {
		return refused
	}
	p["ref"], _ = json.Marshal(ref)
	return g.forwardMap(ctx, k, p)
}

// forwardMap forwards with params decoded as an object and rewritten.
func (g *Gateway) forwardMap(ctx context.Context, k *call, p map[string]json.RawMessage) *jsonrpc.Response {
	raw, err := json.Marshal(p)
	if err != nil {
		return errorResponse(k.req.ID, codeInternal, "encode params: "+err.Error())
	}
	return g.forward(ctx, k, raw)
}

// forward sends the request, with its params rewritten, to the target's backend, and records
// the call in the audit trail before the response leaves.
func (g *Gateway) forward(ctx context.Context, k *call, raw json.RawMessage) *jsonrpc.Response {
	if a := g.gov.Audit; a != nil {
		// Before the backend: a call whose event the trail cannot take does not run.
		admit := k.c.tr.stage("audit.admit")
		err := a.Admit()
		endStage(admit)
		if err != nil {
			return auditRefusal(k.req.ID, err)
		}
		if len(k.req.Params) >= overlapAuditBytes {
			k.pre = g.auditRequestAhead(k.req.Params)
		}
	}
	return g.record(k, g.send(ctx, k, raw))
}

// auditRefusal is the answer to a call Admit refused, before it reached a backend.
func auditRefusal(id jsonrpc.ID, err error) *jsonrpc.Response {
	reason, msg := "queue_full", "the hub refuses new calls until its audit trail catches up: "+err.Error()
	if errors.Is(err, audit.ErrJournal) {
		reason = "journal"
		msg = "the hub refuses new calls until its audit journal can be written: " + err.Error()
	}
	return mcp.ErrorResponse(id, mcp.CodeAuditUnavailable, msg, map[string]string{"reason": reason})
}

// send runs the call, its params rewritten to raw, against its target's backend.
func (g *Gateway) send(ctx context.Context, k *call, raw json.RawMessage) *jsonrpc.Response {
	req := k.req
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s := k.c.sess; s != nil {
		// Registered with the session, the call ends with it (close cancels every call it
		// holds) or with the client's notifications/cancelled.
		defer s.end(s.begin(req.ID, cancel))
	}
	bc := k.backendCall(raw)
	ctx, up := k.c.tr.upstream(ctx, k.tgt, bc.Request)
	resp, err := g.upstream.Call(ctx, k.tgt, bc)
	endUpstream(up, resp, err)
	if err != nil {
		if ctx.Err() != nil {
			return errorResponse(req.ID, codeRequestCancelled, "request cancelled")
		}
		// A bound of the upstream (timeout, busy, circuit open) says it in JSON-RPC's terms.
		if we := (*jsonrpc.Error)(nil); errors.As(err, &we) {
			return &jsonrpc.Response{ID: req.ID, Error: we}
		}
		return errorResponse(req.ID, codeUnavailable, err.Error())
	}
	if resp == nil {
		return errorResponse(req.ID, codeInternal, "the backend sent no response")
	}
	resp.ID = req.ID
	return resp
}

func (g *Gateway) setLevel(c *client, req *jsonrpc.Request) *jsonrpc.Response {
	if c.sess == nil {
		return errorResponse(req.ID, codeMethodNotFound, "logging/setLevel is not part of protocol "+c.version+": send io.modelcontextprotocol/logLevel in _meta")
	}
	p, err := params(req)
	if err != nil {
		return errorResponse(req.ID, codeInvalidParams, err.Error())
	}
	var level string
	_ = json.Unmarshal(p["level"], &level)
	i := slices.Index(mcp.LogLevels, level)
	if i < 0 {
		return errorResponse(req.ID, codeInvalidParams, "unknown log level "+strconv.Quote(level))
	}
	c.sess.logLevel.Store(int32(i))
	return result(req.ID, json.RawMessage(`{}`))
}

func result(id jsonrpc.ID, res json.RawMessage) *jsonrpc.Response {
	return &jsonrpc.Response{ID: id, Result: res}
}

func errorResponse(id jsonrpc.ID, code int64, msg string) *jsonrpc.Response {
	return &jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: code, Message: msg}}
}

func encode(msg jsonrpc.Message) []byte {
	b, err := mcp.EncodeMessage(msg)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"jsonrpc": "2.0", "id": nil,
			"error": map[string]any{"code": codeInternal, "message": "encode reply: " + err.Error()}})
	}
	return b
}

func joinArray[T ~[]byte](items []T) []byte {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
