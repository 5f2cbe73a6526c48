// Package checks decides whether one MCP call may proceed, in the order the call pipeline
// runs them: the caller's permission to use backends, its role's tool globs (RBAC), the
// tool's own state (disabled, quarantined) and the policy. Everything is decided from memory.
package checks

import (
	"encoding/json"
	"strconv"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// Which check refused a call: the By of a Refusal.
const (
	ByRBAC       = "rbac"
	ByDisabled   = "disabled"
	ByQuarantine = "quarantine"
	ByPolicy     = "policy"
)

// Authorizer answers RBAC questions from memory. *rbac.Authorizer implements it.
type Authorizer interface {
	Can(role, perm string) bool
	// AllowsTool reports whether the role's tool globs allow a tool known by these names
	// (alias may be empty).
	AllowsTool(role, exposed, alias, original string) bool
}

// Chain is the checks of one call. Nil members are off: no RBAC, no policy. Tools must be set.
// A Chain is a small value; build one per call from the current policy.
type Chain struct {
	Tools  *tools.Registry
	RBAC   Authorizer
	Policy *policy.Policy
}

// Refusal says which check refused a call and why.
type Refusal struct {
	By     string // ByRBAC, ByDisabled, ByQuarantine or ByPolicy
	Rule   string // the policy rule, for ByPolicy
	Reason string // what the client is told
}

// Verdict is the outcome of the checks of one tools/call.
type Verdict struct {
	Known    bool     // the tool is in the registry's index; when false nothing else is set
	Risk     string   // the tool's risk class
	Rule     string   // the policy rule that decided, if a policy did
	Decision string   // the policy's effect, if a policy decided
	Refusal  *Refusal // nil when the call may proceed
}

// ToolCall is what the checks look at in one tools/call.
type ToolCall struct {
	Caller auth.Identity
	Table  *router.Table // the routing table the name was resolved in
	Name   string        // the exposed name the client used
	Target router.Target // where Name routes
	Params []byte        // the request's params, read only when the policy needs arguments
}

// MayUseBackends reports whether role holds rbac.ToolsCall, the permission to reach backends
// over MCP at all: tools, and also prompts, resources and completions (tool globs and the
// policy apply to tools only).
func (ch Chain) MayUseBackends(role string) bool {
	return ch.RBAC == nil || ch.RBAC.Can(role, rbac.ToolsCall)
}

// BackendsRefusal is the refusal of a prompts/get, resources/* or completion/complete of a
// caller whose role lacks rbac.ToolsCall; nil when it may proceed.
func (ch Chain) BackendsRefusal(role string) *Refusal {
	if ch.MayUseBackends(role) {
		return nil
	}
	return &Refusal{By: ByRBAC, Reason: "role " + strconv.Quote(role) + " may not use backends over MCP (needs " + rbac.ToolsCall + ")"}
}

// Tool runs the checks of a tools/call in order and stops at the first refusal.
func (ch Chain) Tool(c ToolCall) Verdict {
	info, ok := ch.Tools.Index(c.Table).Lookup(c.Target)
	if !ok {
		return Verdict{}
	}
	v := Verdict{Known: true, Risk: info.Risk}
	role := c.Caller.Role
	refuse := func(by, reason string) Verdict {
		v.Refusal = &Refusal{By: by, Reason: reason}
		return v
	}
	switch {
	case !ch.MayUseBackends(role):
		return refuse(ByRBAC, "role "+strconv.Quote(role)+" may not call tools")
	case ch.RBAC != nil && !ch.RBAC.AllowsTool(role, info.Name, info.Alias, info.Tool):
		return refuse(ByRBAC, "role "+strconv.Quote(role)+" may not call tool "+strconv.Quote(c.Name))
	case info.Disabled:
		return refuse(ByDisabled, "tool "+strconv.Quote(c.Name)+" is disabled by an operator")
	case info.Quarantined:
		return refuse(ByQuarantine, "tool "+strconv.Quote(c.Name)+" is quarantined: "+info.QuarantineReason)
	case ch.Policy == nil:
		return v
	}
	in := policy.Input{
		Tool: c.Name, Alias: c.Table.ToolAlias(c.Name), Target: c.Target,
		Risk: info.Risk, Role: role, Application: c.Caller.Application,
	}
	if ch.Policy.NeedsArguments() {
		in.Arguments = CallArguments(c.Params)
	}
	d := ch.Policy.Decide(in)
	v.Rule, v.Decision = d.Rule, string(d.Effect)
	if !d.Allowed() {
		v.Refusal = &Refusal{By: ByPolicy, Rule: d.Rule, Reason: d.Reason}
	}
	return v
}

// VisibleTools filters a table's tools for the caller: its permission to use backends, its
// role's tool globs, the tools' state and the policy.
func (ch Chain) VisibleTools(caller auth.Identity, t *router.Table) []json.RawMessage {
	tls := t.Tools()
	visible := ch.ToolVisible(caller, t)
	out := make([]json.RawMessage, 0, len(tls))
	for i, raw := range tls {
		if visible(i) {
			out = append(out, raw)
		}
	}
	return out
}

// ToolVisible returns whether the caller sees the table's i-th tool (t.Tools()[i]), by the
// rules of VisibleTools, one tool at a time: a tools/list page asks only about the tools it
// walks over.
func (ch Chain) ToolVisible(caller auth.Identity, t *router.Table) func(i int) bool {
	role := caller.Role
	if !ch.MayUseBackends(role) {
		return func(int) bool { return false }
	}
	listed := ch.Tools.Index(t).Listed()
	return func(i int) bool {
		ti := &listed[i]
		if !ti.Callable() {
			return false
		}
		if ch.RBAC != nil && !ch.RBAC.AllowsTool(role, ti.Name, ti.Alias, ti.Tool) {
			return false
		}
		return ch.Policy == nil || ch.Policy.Visible(policy.Input{Tool: ti.Name, Alias: ti.Alias, Target: ti.Target,
			Risk: ti.Risk, Role: role, Application: caller.Application})
	}
}

// Reachable is a list of prompts or resources as the caller may see it: all of them, or none
// without rbac.ToolsCall.
func (ch Chain) Reachable(role string, items []json.RawMessage) []json.RawMessage {
	if !ch.MayUseBackends(role) {
		return nil
	}
	return items
}

// CallArguments decodes the "arguments" member of tools/call params exactly as a backend
// reads it: the member named exactly "arguments" (the last one if repeated). Decoding the
// params into a struct would also take "ARGUMENTS" or "Arguments" (encoding/json matches
// field names case-insensitively), which backends ignore, so conditions would be checked
// against arguments the backend never sees. Arguments that are not an object stay nil:
// every condition on them fails.
func CallArguments(params []byte) map[string]any {
	raw, ok := mcp.Field(params, "arguments")
	if !ok {
		return nil
	}
	args, ok := decodeObject(raw) // json.Unmarshal's result, in one pass
	if !ok {
		return nil
	}
	return args
}
