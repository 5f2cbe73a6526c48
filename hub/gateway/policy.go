package gateway

import (
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/checks"
	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

// SetPolicy replaces the policy engine the gateway applies to tools (Decide on tools/call,
// Visible on tools/list); nil allows everything. Safe to call while requests are served:
// each request uses the policy it started with.
func (g *Gateway) SetPolicy(p *policy.Policy) { g.policy.Store(p) }

// checks is the chain of checks of one call, with the policy current when it starts.
func (g *Gateway) checks() checks.Chain {
	return checks.Chain{Tools: g.gov.Tools, RBAC: g.gov.RBAC, Policy: g.policy.Load()}
}

// checkTool passes a tools/call, routed in t, through the chain of checks (hub/checks: RBAC,
// the tool's state, the policy). It fills in the call's decision and returns the refusal, or
// nil when the call may proceed.
func (g *Gateway) checkTool(k *call, t *router.Table) *jsonrpc.Response {
	v := g.checks().Tool(checks.ToolCall{Caller: k.c.identity, Table: t, Name: k.name, Target: k.tgt, Params: k.req.Params})
	if !v.Known {
		return errorResponse(k.req.ID, codeInvalidParams, g.unknown("tool", k.name))
	}
	k.risk, k.rule, k.decision = v.Risk, v.Rule, v.Decision
	if r := v.Refusal; r != nil {
		return k.refuse(r)
	}
	return nil
}

// checkMCP refuses, and audits, a prompts/get, resources/* or completion/complete of a
// caller whose role may not use backends; nil when it may proceed.
func (g *Gateway) checkMCP(k *call) *jsonrpc.Response {
	r := g.checks().BackendsRefusal(k.c.identity.Role)
	if r == nil {
		return nil
	}
	return g.record(k, k.refuse(r))
}
