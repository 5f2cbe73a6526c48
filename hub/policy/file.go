package policy

import (
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// File is a policy as written in a TOML file (docs/POLICY.md), or sent by the REST API.
type File struct {
	Default       string `toml:"default" json:"default"`               // allow | deny (required)
	DefaultReason string `toml:"default_reason" json:"default_reason"` // reason given when no rule matches
	Rules         []Rule `toml:"rules" json:"rules"`
}

// Rule is one rule as written. Empty lists match anything; all fields set must match.
type Rule struct {
	Name         string      `toml:"name" json:"name"`
	Effect       string      `toml:"effect" json:"effect"` // allow | deny
	Priority     int         `toml:"priority" json:"priority,omitempty"`
	Reason       string      `toml:"reason" json:"reason,omitempty"`
	Tools        []string    `toml:"tools" json:"tools,omitempty"` // globs on the exposed or the original name
	Risk         []string    `toml:"risk" json:"risk,omitempty"`
	Applications []string    `toml:"applications" json:"applications,omitempty"`
	Agents       []string    `toml:"agents" json:"agents,omitempty"` // "" is the hub itself
	Backends     []string    `toml:"backends" json:"backends,omitempty"`
	Roles        []string    `toml:"roles" json:"roles,omitempty"`
	When         []Condition `toml:"when" json:"when,omitempty"`
}

// Condition tests one call argument. Exactly one test is set (min and max may go together).
type Condition struct {
	Arg     string   `toml:"arg" json:"arg"` // key, or dotted key path into nested objects
	Equals  *string  `toml:"equals" json:"equals,omitempty"`
	Prefix  *string  `toml:"prefix" json:"prefix,omitempty"`
	Glob    *string  `toml:"glob" json:"glob,omitempty"`
	Under   *string  `toml:"under" json:"under,omitempty"` // an absolute directory
	Min     *float64 `toml:"min" json:"min,omitempty"`
	Max     *float64 `toml:"max" json:"max,omitempty"`
	Present *bool    `toml:"present" json:"present,omitempty"`
	Not     bool     `toml:"not" json:"not,omitempty"` // negate the test
}

// ErrInvalid wraps every validation error.
var ErrInvalid = errors.New("invalid policy")

// Load reads and compiles a policy file.
func Load(file string) (*Policy, error) {
	_, p, err := LoadFile(file)
	return p, err
}

// LoadFile reads a policy file and returns both its rules as written and the compiled
// policy; errors name the file.
func LoadFile(file string) (File, *Policy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return File{}, nil, fmt.Errorf("load policy: %w", err)
	}
	f, err := Decode(data)
	if err == nil {
		var p *Policy
		if p, err = Compile(f); err == nil {
			return f, p, nil
		}
	}
	return File{}, nil, fmt.Errorf("%s: %w", file, err)
}

// Parse decodes a TOML policy, refusing unknown keys, and compiles it.
func Parse(data []byte) (*Policy, error) {
	f, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return Compile(f)
}

// Decode reads a TOML policy without compiling it, refusing unknown keys.
func Decode(data []byte) (File, error) {
	var f File
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return File{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		return File{}, fmt.Errorf("%w: unknown key %q", ErrInvalid, un[0].String())
	}
	return f, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)

// Compile validates f and compiles it. Errors name the rule and the field.
func Compile(f File) (*Policy, error) {
	p := &Policy{def: Effect(f.Default), defReason: f.DefaultReason}
	if p.def != Allow && p.def != Deny {
		return nil, fmt.Errorf("%w: default: must be \"allow\" or \"deny\", got %q", ErrInvalid, f.Default)
	}
	if p.defReason == "" {
		p.defReason = "no rule matched; the default is " + f.Default
	}
	seen := map[string]bool{}
	for i, spec := range f.Rules {
		r, err := compileRule(spec)
		if err != nil {
			return nil, fmt.Errorf("%w: rule %q (rules[%d]): %w", ErrInvalid, spec.Name, i, err)
		}
		if seen[r.name] {
			return nil, fmt.Errorf("%w: rule %q (rules[%d]): name: used by an earlier rule", ErrInvalid, spec.Name, i)
		}
		seen[r.name] = true
		p.rules = append(p.rules, r)
		p.args = p.args || len(r.conds) > 0
	}
	// Higher priority first; equal priorities keep file order.
	slices.SortStableFunc(p.rules, func(a, b rule) int { return b.priority - a.priority })
	return p, nil
}

func compileRule(s Rule) (rule, error) {
	r := rule{name: s.Name, reason: s.Reason, effect: Effect(s.Effect), priority: s.Priority}
	switch {
	case !nameRE.MatchString(s.Name):
		return r, fmt.Errorf("name: must match %s", nameRE)
	case s.Name == DefaultRule:
		return r, fmt.Errorf("name: %q is reserved for the default", DefaultRule)
	case r.effect != Allow && r.effect != Deny:
		return r, fmt.Errorf("effect: must be \"allow\" or \"deny\", got %q", s.Effect)
	case s.Priority < -1e6 || s.Priority > 1e6:
		return r, fmt.Errorf("priority: must be within ±1000000, got %d", s.Priority)
	}
	if r.reason == "" {
		r.reason = fmt.Sprintf("rule %s: %s", s.Name, s.Effect)
	}
	var err error
	for _, g := range []struct {
		name string
		in   []string
		out  *globs
	}{{"tools", s.Tools, &r.tools}, {"applications", s.Applications, &r.applications},
		{"agents", s.Agents, &r.agents}, {"backends", s.Backends, &r.backends}, {"roles", s.Roles, &r.roles}} {
		if *g.out, err = compileGlobs(g.in); err != nil {
			return r, fmt.Errorf("%s: %w", g.name, err)
		}
	}
	for _, name := range s.Risk {
		b := riskBit(name)
		if b == riskUnclassified && name != "unclassified" {
			return r, fmt.Errorf("risk: unknown category %q (want one of %s)", name, strings.Join(risks[:], ", "))
		}
		r.risk |= b
	}
	for j, c := range s.When {
		cc, err := compileCond(c)
		if err != nil {
			return r, fmt.Errorf("when[%d] (arg %q): %w", j, c.Arg, err)
		}
		cc.lenient = (r.effect == Deny) != cc.not
		r.conds = append(r.conds, cc)
	}
	return r, nil
}

func compileGlobs(in []string) (globs, error) {
	var out globs
	for _, p := range in {
		g, err := compileGlob(p)
		if err != nil {
			return nil, fmt.Errorf("bad glob %q", p)
		}
		out = append(out, g)
	}
	return out, nil
}

func compileCond(c Condition) (cond, error) {
	cc := cond{not: c.Not, min: math.Inf(-1), max: math.Inf(1)}
	if c.Arg == "" || slices.Contains(strings.Split(c.Arg, "."), "") {
		return cc, errors.New("arg: must name an argument (dotted for nested keys)")
	}
	cc.arg = strings.Split(c.Arg, ".")
	n := 0
	set := func(op condOp, ok bool) {
		if ok {
			cc.op = op
			n++
		}
	}
	set(opEquals, c.Equals != nil)
	set(opPrefix, c.Prefix != nil)
	set(opGlob, c.Glob != nil)
	set(opUnder, c.Under != nil)
	set(opRange, c.Min != nil || c.Max != nil)
	set(opPresent, c.Present != nil)
	if n != 1 {
		return cc, errors.New("needs exactly one of equals, prefix, glob, under, min/max, present")
	}
	switch cc.op {
	case opEquals:
		cc.str = *c.Equals
	case opPrefix:
		cc.str = *c.Prefix
	case opGlob:
		g, err := compileGlob(*c.Glob)
		if err != nil {
			return cc, fmt.Errorf("glob: bad pattern %q", *c.Glob)
		}
		cc.glob = g
	case opUnder:
		dir, ok := cleanAbs(*c.Under)
		if !ok {
			return cc, fmt.Errorf("under: %q is not an absolute directory", *c.Under)
		}
		cc.str = dir
	case opRange:
		if c.Min != nil {
			cc.min = *c.Min
		}
		if c.Max != nil {
			cc.max = *c.Max
		}
		if math.IsNaN(cc.min) || math.IsNaN(cc.max) || cc.min > cc.max {
			return cc, fmt.Errorf("min/max: empty range [%v, %v]", cc.min, cc.max)
		}
	case opPresent:
		cc.present = *c.Present
	}
	return cc, nil
}
