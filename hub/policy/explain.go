package policy

import (
	"fmt"
	"strings"
)

// Step is one rule considered by Explain.
type Step struct {
	Rule     string `json:"rule"`
	Priority int    `json:"priority"`
	Effect   Effect `json:"effect"`
	Matched  bool   `json:"matched"`
	Why      string `json:"why"` // why it matched, or the first part that did not
}

// Explanation is a dry run: the decision and every rule considered, in order, up to the one
// that decided (rules after it are not reached).
type Explanation struct {
	Decision Decision `json:"decision"`
	Visible  bool     `json:"visible"`
	Steps    []Step   `json:"steps"`
}

// Explain decides in like Decide, and says why each rule considered did or did not match.
func (p *Policy) Explain(in Input) Explanation {
	var e Explanation
	risk := riskBit(in.Risk)
	e.Visible = p.Visible(in)
	for i := range p.rules {
		r := &p.rules[i]
		st := Step{Rule: r.name, Priority: r.priority, Effect: r.effect}
		if f := r.matchStatic(&in, risk); f != fieldNone {
			st.Why = r.missStatic(f, &in)
		} else if c := r.matchArgs(in.Arguments); c >= 0 {
			st.Why = r.conds[c].miss(in.Arguments)
		} else {
			st.Matched = true
			st.Why = "matched: " + r.describe()
		}
		e.Steps = append(e.Steps, st)
		if st.Matched {
			e.Decision = Decision{Effect: r.effect, Rule: r.name, Reason: r.reason}
			return e
		}
	}
	e.Decision = p.defaultDecision()
	return e
}

func (r *rule) missStatic(f field, in *Input) string {
	switch f {
	case fieldTool:
		return fmt.Sprintf("tool %q (alias %q, original %q) matches none of %s", in.Tool, in.Alias, in.Target.Name, r.tools)
	case fieldRisk:
		return fmt.Sprintf("risk %q is not one of %s", risks[bitIndex(riskBit(in.Risk))], riskList(r.risk))
	case fieldApplication:
		return fmt.Sprintf("application %q matches none of %s", in.Application, r.applications)
	case fieldAgent:
		return fmt.Sprintf("agent %q matches none of %s", in.Target.Agent, r.agents)
	case fieldBackend:
		return fmt.Sprintf("backend %q matches none of %s", in.Target.Backend, r.backends)
	}
	return fmt.Sprintf("role %q matches none of %s", in.Role, r.roles)
}

func (r *rule) describe() string {
	var parts []string
	add := func(name string, g globs) {
		if len(g) > 0 {
			parts = append(parts, name+" "+g.String())
		}
	}
	add("tools", r.tools)
	if r.risk != 0 {
		parts = append(parts, "risk "+riskList(r.risk))
	}
	add("applications", r.applications)
	add("agents", r.agents)
	add("backends", r.backends)
	add("roles", r.roles)
	for i := range r.conds {
		parts = append(parts, r.conds[i].String())
	}
	if len(parts) == 0 {
		return "any call"
	}
	return strings.Join(parts, ", ")
}

func (g globs) String() string {
	s := make([]string, len(g))
	for i := range g {
		s[i] = fmt.Sprintf("%q", g[i].pattern())
	}
	return "[" + strings.Join(s, " ") + "]"
}

func (g *glob) pattern() string {
	switch g.kind {
	case globPrefix:
		return g.lit + "*"
	case globSuffix:
		return "*" + g.lit
	case globContains:
		return "*" + g.lit + "*"
	}
	return g.lit
}

func bitIndex(b uint8) int {
	for i := range risks {
		if b == 1<<i {
			return i
		}
	}
	return len(risks) - 1
}

func riskList(mask uint8) string {
	var s []string
	for i, r := range risks {
		if mask&(1<<i) != 0 {
			s = append(s, r)
		}
	}
	return "[" + strings.Join(s, " ") + "]"
}

func (c *cond) String() string {
	var t string
	switch c.op {
	case opEquals:
		t = fmt.Sprintf("equals %q", c.str)
	case opPrefix:
		t = fmt.Sprintf("has prefix %q", c.str)
	case opGlob:
		t = fmt.Sprintf("matches %q", c.glob.pattern())
	case opUnder:
		t = fmt.Sprintf("is under %s", c.str)
	case opRange:
		t = fmt.Sprintf("is within [%v, %v]", c.min, c.max)
	case opPresent:
		t = "is absent"
		if c.present {
			t = "is present"
		}
	}
	if c.not {
		t = "not (" + t + ")"
	}
	return "argument " + strings.Join(c.arg, ".") + " " + t
}

func (c *cond) miss(args map[string]any) string {
	v, ok := lookup(args, c.arg)
	got := "absent"
	if ok {
		got = fmt.Sprintf("%#v", v)
		if s, isStr := v.(string); isStr && c.op == opUnder {
			if clean, abs := cleanAbs(s); abs {
				got = fmt.Sprintf("%q (cleaned %q)", s, clean)
			} else {
				got = fmt.Sprintf("%q (not an absolute path)", s)
			}
			if rs, _ := readings(s, c.str, nil); len(rs) > 1 {
				got += fmt.Sprintf(", also read as %q", rs[1:])
			}
		}
	}
	return fmt.Sprintf("condition failed: %s; got %s", c, got)
}
