package gateway

import (
	"encoding/json"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// SetPolicy replaces the policy engine the gateway applies to tools (Decide on tools/call,
// Visible on tools/list); nil allows everything. Safe to call while requests are served:
// each request uses the policy it started with.
func (g *Gateway) SetPolicy(p *policy.Policy) { g.policy.Store(p) }

// checkTool passes a tools/call of the tool the client named name, resolved to tgt, through
// RBAC, the tool's own state (disabled, quarantined) and the policy, in that order. It fills
// in rec and returns the refusal, or nil when the call may proceed.
func (g *Gateway) checkTool(c *client, req *jsonrpc.Request, t *router.Table, name string, tgt router.Target, rec *callRecord) *jsonrpc.Response {
	info, ok := g.gov.Tools.Index(t).Lookup(tgt)
	if !ok {
		return errorResponse(req.ID, codeInvalidParams, g.unknown("tool", name))
	}
	rec.risk = info.Risk
	if !g.mayUseBackends(c) {
		return rec.refuse(req.ID, "rbac", "", "role "+strconv.Quote(c.identity.Role)+" may not call tools")
	}
	if rb := g.gov.RBAC; rb != nil {
		role := c.identity.Role
		if !rb.AllowsTool(role, info.Name, info.Alias, info.Tool) {
			return rec.refuse(req.ID, "rbac", "", "role "+strconv.Quote(role)+" may not call tool "+strconv.Quote(name))
		}
	}
	if info.Disabled {
		return rec.refuse(req.ID, "disabled", "", "tool "+strconv.Quote(name)+" is disabled by an operator")
	}
	if info.Quarantined {
		return rec.refuse(req.ID, "quarantine", "", "tool "+strconv.Quote(name)+" is quarantined: "+info.QuarantineReason)
	}
	p := g.policy.Load()
	if p == nil {
		return nil
	}
	in := policy.Input{
		Tool: name, Alias: t.ToolAlias(name), Target: tgt,
		Risk: info.Risk, Role: c.identity.Role, Application: c.identity.Application,
	}
	if p.NeedsArguments() {
		in.Arguments = callArguments(req.Params)
	}
	d := p.Decide(in)
	rec.rule, rec.decision = d.Rule, string(d.Effect)
	if d.Allowed() {
		return nil
	}
	return rec.refuse(req.ID, "policy", d.Rule, d.Reason)
}

// visibleTools filters a table's tools for the caller: its role's tool permissions, the
// tools' state and the policy.
func (g *Gateway) visibleTools(c *client, t *router.Table) []json.RawMessage {
	tools := t.Tools()
	idx := g.gov.Tools.Index(t)
	p := g.policy.Load()
	rb := g.gov.RBAC
	role := c.identity.Role
	if !g.mayUseBackends(c) {
		return nil
	}
	out := make([]json.RawMessage, 0, len(tools))
	for i, raw := range tools {
		ti := &idx.Listed()[i]
		if !ti.Callable() {
			continue
		}
		if rb != nil && !rb.AllowsTool(role, ti.Name, ti.Alias, ti.Tool) {
			continue
		}
		if p != nil && !p.Visible(policy.Input{Tool: ti.Name, Alias: ti.Alias, Target: ti.Target, Risk: ti.Risk, Role: role, Application: c.identity.Application}) {
			continue
		}
		out = append(out, raw)
	}
	return out
}

// callArguments decodes the "arguments" member of tools/call params exactly as a backend
// reads it: the member named exactly "arguments" (the last one if repeated). Decoding the
// params into a struct would also take "ARGUMENTS" or "Arguments" (encoding/json matches
// field names case-insensitively), which backends ignore, so conditions would be checked
// against arguments the backend never sees. Arguments that are not an object stay nil:
// every condition on them fails.
func callArguments(params []byte) map[string]any {
	raw, ok := mcp.Field(params, "arguments")
	if !ok {
		return nil
	}
	var args map[string]any
	if json.Unmarshal(raw, &args) != nil {
		return nil
	}
	return args
}

// mayUseBackends reports whether the caller's role holds tools.call, the permission to reach
// backends over MCP at all: tools, and also prompts, resources and completions (tool globs
// and the policy apply to tools only).
func (g *Gateway) mayUseBackends(c *client) bool {
	rb := g.gov.RBAC
	return rb == nil || rb.Can(c.identity.Role, PermCallTools)
}

// reachable is a list of prompts or resources as the caller may see it: all of them, or
// none without tools.call.
func (g *Gateway) reachable(c *client, items []json.RawMessage) []json.RawMessage {
	if !g.mayUseBackends(c) {
		return nil
	}
	return items
}

// checkMCP refuses, and audits, a prompts/get, resources/* or completion/complete of a
// caller whose role lacks tools.call; nil when it may proceed.
func (g *Gateway) checkMCP(c *client, req *jsonrpc.Request, rec *callRecord) *jsonrpc.Response {
	if g.mayUseBackends(c) {
		return nil
	}
	role := c.identity.Role
	return g.record(c, req, rec, rec.refuse(req.ID, "rbac", "", "role "+strconv.Quote(role)+" may not use backends over MCP (needs tools.call)"))
}
