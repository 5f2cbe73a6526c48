// Package policy decides whether a tool call is allowed: priority-ordered allow/deny rules on
// tool names, risk, application, agent, backend, role and call arguments; first match wins.
// The file format and the semantics are documented in docs/POLICY.md.
package policy

import (
	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

// Effect is what a rule or the default does with a call.
type Effect string

// The two effects.
const (
	Allow Effect = "allow"
	Deny  Effect = "deny"
)

// DefaultRule is the rule name reported (and expected by cases files) when no rule matched.
const DefaultRule = "default"

// Input is one call, or one tool in a list when Arguments is nil.
type Input struct {
	Tool        string        // the exposed name the client used, e.g. laptop__github__create_issue
	Alias       string        // the tool's other exposed name, if any (the prefixed alias of naming mode auto)
	Target      router.Target // agent ("" for hub-local), backend, original tool name
	Risk        string        // read, write, destructive, execute, admin, external-api; other values count as unclassified
	Application string        // the calling application, if the key names one
	Role        string        // the caller's role
	Arguments   map[string]any
}

// Decision is the outcome of Decide.
type Decision struct {
	Effect Effect `json:"effect"`
	Rule   string `json:"rule"` // the deciding rule's name, or DefaultRule
	Reason string `json:"reason"`
}

// Allowed reports whether the call may proceed.
func (d Decision) Allowed() bool { return d.Effect == Allow }

// Policy is a compiled, immutable rule set; it is safe for concurrent use.
type Policy struct {
	def       Effect
	defReason string
	rules     []rule // in evaluation order
	args      bool   // some rule has conditions on the call's arguments
}

// NeedsArguments reports whether some rule looks at a call's arguments; only then does a
// caller need to decode them for Input.Arguments.
func (p *Policy) NeedsArguments() bool { return p.args }

// Decide returns the decision of the first rule, in evaluation order, that matches in;
// the default when none does.
func (p *Policy) Decide(in Input) Decision {
	risk := riskBit(in.Risk)
	for i := range p.rules {
		r := &p.rules[i]
		if r.matchStatic(&in, risk) == fieldNone && r.matchArgs(in.Arguments) < 0 {
			return Decision{Effect: r.effect, Rule: r.name, Reason: r.reason}
		}
	}
	return p.defaultDecision()
}

// Visible reports whether some call to the tool could be allowed: no rule without argument
// conditions denies it before a rule allows it (or the default allows). in.Arguments is ignored.
// A gateway hides invisible tools from lists; a visible tool may still be refused on call.
func (p *Policy) Visible(in Input) bool {
	risk := riskBit(in.Risk)
	for i := range p.rules {
		r := &p.rules[i]
		if r.matchStatic(&in, risk) != fieldNone {
			continue
		}
		if len(r.conds) == 0 || r.effect == Allow {
			// A conditional allow could match some arguments; a conditional deny could miss some.
			return r.effect == Allow
		}
	}
	return p.def == Allow
}

func (p *Policy) defaultDecision() Decision {
	return Decision{Effect: p.def, Rule: DefaultRule, Reason: p.defReason}
}

// Default returns the effect of a call that no rule matches.
func (p *Policy) Default() Effect { return p.def }

// Len returns the number of rules.
func (p *Policy) Len() int { return len(p.rules) }
