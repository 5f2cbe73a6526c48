package policy

import (
	"path"
	"strings"
)

// Risks lists the risk categories a rule may name, in the order of their bits.
var risks = [...]string{"read", "write", "destructive", "execute", "admin", "external-api", "unclassified"}

const riskUnclassified = 1 << 6

func riskBit(s string) uint8 {
	for i, r := range risks {
		if r == s {
			return 1 << i
		}
	}
	return riskUnclassified
}

// field names the part of a rule that failed to match; fieldNone means all matched.
type field uint8

const (
	fieldNone field = iota
	fieldTool
	fieldRisk
	fieldApplication
	fieldAgent
	fieldBackend
	fieldRole
)

// rule is a compiled rule. Empty matcher lists and a zero risk mask match anything.
type rule struct {
	name, reason string
	effect       Effect
	priority     int
	tools        globs // exposed or original name
	risk         uint8
	applications globs
	agents       globs
	backends     globs
	roles        globs
	conds        []cond
}

func (r *rule) matchStatic(in *Input, risk uint8) field {
	switch {
	case !r.matchTool(in):
		return fieldTool
	case r.risk != 0 && r.risk&risk == 0:
		return fieldRisk
	case !r.applications.match(in.Application):
		return fieldApplication
	case !r.agents.match(in.Target.Agent):
		return fieldAgent
	case !r.backends.match(in.Target.Backend):
		return fieldBackend
	case !r.roles.match(in.Role):
		return fieldRole
	}
	return fieldNone
}

// matchTool matches the tool globs against every name the tool goes by, so that a rule on
// one name cannot be side-stepped through another.
func (r *rule) matchTool(in *Input) bool {
	return len(r.tools) == 0 || r.tools.match(in.Tool) ||
		in.Alias != "" && r.tools.match(in.Alias) ||
		in.Target.Name != "" && r.tools.match(in.Target.Name)
}

// matchArgs returns the index of the first condition that does not hold, or -1.
func (r *rule) matchArgs(args map[string]any) int {
	for i := range r.conds {
		if !r.conds[i].holds(args) {
			return i
		}
	}
	return -1
}

// globs matches when any of its patterns does; an empty list matches everything.
type globs []glob

func (g globs) match(s string) bool {
	if len(g) == 0 {
		return true
	}
	for i := range g {
		if g[i].match(s) {
			return true
		}
	}
	return false
}

type globKind uint8

const (
	globExact globKind = iota
	globPrefix
	globSuffix
	globContains
	globPattern
)

// glob is a path.Match pattern, with the common shapes (exact, "abc*", "*abc", "*abc*")
// matched without path.Match, and the others rejected early on their literal head and tail.
type glob struct {
	kind       globKind
	lit        string // the literal part, or the whole pattern for globPattern
	head, tail string // globPattern: literal text before the first and after the last wildcard
}

func compileGlob(p string) (glob, error) {
	if _, err := path.Match(p, ""); err != nil {
		return glob{}, err
	}
	const meta = `*?[\`
	switch {
	case !strings.ContainsAny(p, meta):
		return glob{kind: globExact, lit: p}, nil
	case len(p) > 0 && strings.IndexAny(p[:len(p)-1], meta) < 0 && p[len(p)-1] == '*':
		return glob{kind: globPrefix, lit: p[:len(p)-1]}, nil
	case len(p) > 0 && p[0] == '*' && !strings.ContainsAny(p[1:], meta):
		return glob{kind: globSuffix, lit: p[1:]}, nil
	case len(p) > 2 && p[0] == '*' && p[len(p)-1] == '*' && !strings.ContainsAny(p[1:len(p)-1], meta+"/"):
		return glob{kind: globContains, lit: p[1 : len(p)-1]}, nil
	}
	g := glob{kind: globPattern, lit: p, head: p[:strings.IndexAny(p, meta)]}
	if !strings.Contains(p, `\`) {
		g.tail = p[strings.LastIndexAny(p, "*?]")+1:]
	}
	return g, nil
}

func (g *glob) match(s string) bool {
	switch g.kind {
	case globExact:
		return s == g.lit
	case globPrefix: // '*' does not cross '/', as in path.Match
		return strings.HasPrefix(s, g.lit) && strings.IndexByte(s[len(g.lit):], '/') < 0
	case globSuffix:
		return strings.HasSuffix(s, g.lit) && strings.IndexByte(s[:len(s)-len(g.lit)], '/') < 0
	case globContains:
		return strings.Contains(s, g.lit) && strings.IndexByte(s, '/') < 0
	}
	if !strings.HasPrefix(s, g.head) || !strings.HasSuffix(s, g.tail) {
		return false
	}
	ok, _ := path.Match(g.lit, s)
	return ok
}

type condOp uint8

const (
	opEquals condOp = iota
	opPrefix
	opGlob
	opUnder
	opRange
	opPresent
)

// cond is a compiled condition on one call argument.
type cond struct {
	arg      []string // the key path: "opts.dir" → ["opts", "dir"]
	op       condOp
	str      string // equals, prefix, or the cleaned directory of under
	glob     glob
	min, max float64 // opRange; ±Inf when unset
	present  bool
	not      bool
	// lenient reads the test in the direction that makes the rule match more: set for a
	// deny rule's condition (and an allow rule's "not" one), so that neither kind of rule
	// lets more through than intended. Lenient, an array passes when any element does (a
	// harmless path next to /etc/shadow must not hide it from a deny rule) and "under"
	// ignores case (the backend's file system may fold it: C:/WINDOWS, ~/.SSH); strict, every
	// element must pass and the case must match. The same holds for the readings of a path
	// (paths.go): lenient, one reading inside the directory is enough; strict, all must be.
	lenient bool
}

func (c *cond) holds(args map[string]any) bool {
	v, ok := lookup(args, c.arg)
	if c.op == opPresent {
		return (ok == c.present) != c.not
	}
	return c.test(v, ok) != c.not
}

func lookup(args map[string]any, keys []string) (any, bool) {
	var v any = args
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// test applies the condition to a value: to each element of an array, which must all pass.
func (c *cond) test(v any, ok bool) bool {
	if !ok {
		return false
	}
	if list, isList := v.([]any); isList {
		for _, e := range list {
			if c.testOne(e) == c.lenient {
				return c.lenient
			}
		}
		return len(list) > 0 && !c.lenient
	}
	return c.testOne(v)
}

func (c *cond) testOne(v any) bool {
	if c.op == opRange {
		n, ok := number(v)
		return ok && n >= c.min && n <= c.max
	}
	s, ok := v.(string)
	if !ok {
		return false
	}
	switch c.op {
	case opEquals:
		return s == c.str
	case opPrefix:
		return strings.HasPrefix(s, c.str)
	case opGlob:
		return c.glob.match(s)
	}
	return underRead(s, c.str, c.lenient)
}

// under reports whether the path p is dir or inside it, in the strict direction: every
// reading of p (paths.go) must be inside. A relative p is under no directory: where it
// lands depends on the backend's working directory.
func under(p, dir string) bool { return underRead(p, dir, false) }

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float32:
		return float64(n), true
	case int32:
		return float64(n), true
	case interface{ Float64() (float64, error) }: // json.Number
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
