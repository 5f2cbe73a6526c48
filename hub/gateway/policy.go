package gateway

import (
	"encoding/json"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/risk"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// Policy is the policy engine the gateway applies to tools: Decide on tools/call, Visible on
// tools/list. NeedsArguments says whether some rule has argument conditions; only then are a
// call's arguments decoded.
type Policy struct {
	*policy.Policy
	NeedsArguments bool
}

// SetPolicy replaces the policy engine; nil (or a nil Policy.Policy) allows everything.
// Safe to call while requests are served: each request uses the policy it started with.
func (g *Gateway) SetPolicy(p *Policy) {
	if p != nil && p.Policy == nil {
		p = nil
	}
	g.policy.Store(p)
}

// toolInfo is what the policy needs to know of one listed tool besides its name.
type toolInfo struct {
	name, alias string
	tgt         router.Target
	risk        string
}

// toolIndex holds the risk categories of one routing table's tools, computed once per table
// (risk.Classify reads names, descriptions and annotations), so that a call pays a map lookup.
type toolIndex struct {
	table  *router.Table
	listed []toolInfo // parallel to table.Tools()
	risk   map[router.Target]string
}

// toolCache is the index of the current table, rebuilt when the table changes.
type toolCache struct{ idx atomic.Pointer[toolIndex] }

func (c *toolCache) get(t *router.Table) *toolIndex {
	idx := c.idx.Load()
	if idx == nil || idx.table != t {
		idx = buildToolIndex(t)
		c.idx.Store(idx)
	}
	return idx
}

func buildToolIndex(t *router.Table) *toolIndex {
	tools := t.Tools()
	idx := &toolIndex{table: t, listed: make([]toolInfo, len(tools)), risk: make(map[router.Target]string, len(tools))}
	for i, raw := range tools {
		name, _ := mcp.StringField(raw, "name")
		tgt, _ := t.Tool(name)
		cat, _ := risk.Classify(raw)
		idx.listed[i] = toolInfo{name: name, alias: t.ToolAlias(name), tgt: tgt, risk: string(cat)}
		idx.risk[tgt] = string(cat)
	}
	return idx
}

// checkTool applies the policy to a tools/call of the tool the client named name, resolved
// to tgt; it returns the refusal, or nil when the call may proceed.
func (g *Gateway) checkTool(c *client, req *jsonrpc.Request, t *router.Table, name string, tgt router.Target) *jsonrpc.Response {
	p := g.policy.Load()
	if p == nil {
		return nil
	}
	in := policy.Input{
		Tool: name, Alias: t.ToolAlias(name), Target: tgt,
		Risk: g.tools.get(t).risk[tgt], Role: c.identity.Role,
	}
	if p.NeedsArguments {
		var params struct {
			Arguments map[string]any `json:"arguments"`
		}
		// Arguments that are not an object stay nil: every condition on them fails.
		_ = json.Unmarshal(req.Params, &params)
		in.Arguments = params.Arguments
	}
	d := p.Decide(in)
	if d.Allowed() {
		return nil
	}
	return mcp.ErrorResponse(req.ID, codePolicyDenied, d.Reason+" (policy rule "+d.Rule+")",
		map[string]string{"rule": d.Rule, "reason": d.Reason})
}

// visibleTools filters a table's tools by the policy for the caller's role.
func (g *Gateway) visibleTools(c *client, t *router.Table) []json.RawMessage {
	tools := t.Tools()
	p := g.policy.Load()
	if p == nil {
		return tools
	}
	idx := g.tools.get(t)
	out := make([]json.RawMessage, 0, len(tools))
	for i, raw := range tools {
		ti := &idx.listed[i]
		if p.Visible(policy.Input{Tool: ti.name, Alias: ti.alias, Target: ti.tgt, Risk: ti.risk, Role: c.identity.Role}) {
			out = append(out, raw)
		}
	}
	return out
}
