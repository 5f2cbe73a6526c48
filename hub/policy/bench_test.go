package policy

import (
	"fmt"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

// benchPolicy has 50 rules of every kind, none of which matches benchInput until the last
// (or none at all, with miss): Decide walks all of them.
func benchPolicy(b *testing.B, last bool) *Policy {
	f := File{Default: "deny"}
	for i := range 49 {
		r := Rule{Name: fmt.Sprintf("r%d", i), Effect: "allow", Priority: 100 - i}
		switch i % 5 {
		case 0:
			r.Tools = []string{fmt.Sprintf("tool%d_*", i), fmt.Sprintf("*__x%d", i)}
		case 1:
			r.Risk, r.Roles = []string{"destructive"}, []string{"operator", "viewer"}
		case 2:
			r.Backends, r.Agents = []string{fmt.Sprintf("b%d", i)}, []string{"laptop", "prod-*"}
		case 3:
			r.Tools, r.Applications = []string{"*"}, []string{fmt.Sprintf("app-%d-[a-z]*", i)}
		case 4:
			dir := fmt.Sprintf("/srv/d%d", i)
			r.Tools = []string{"*write*"}
			r.When = []Condition{{Arg: "path", Under: &dir}}
		}
		f.Rules = append(f.Rules, r)
	}
	lastRule := Rule{Name: "last", Effect: "allow", Tools: []string{"create_*"}, Roles: []string{"viewer"},
		When: []Condition{{Arg: "repo", Glob: ptr("acme/*")}, {Arg: "path", Under: ptr("/srv/data")}, {Arg: "n", Max: ptr(10.0)}}}
	if !last {
		lastRule.Roles = []string{"nobody"}
	}
	f.Rules = append(f.Rules, lastRule)
	p, err := Compile(f)
	if err != nil {
		b.Fatal(err)
	}
	if p.Len() != 50 {
		b.Fatal(p.Len())
	}
	return p
}

func ptr[T any](v T) *T { return &v }

var benchInput = Input{
	Tool:   "laptop__github__create_issue",
	Target: router.Target{Agent: "laptop", Backend: "github", Name: "create_issue"},
	Risk:   "write", Role: "viewer", Application: "claude-desktop",
	Arguments: map[string]any{"repo": "acme/web", "path": "/srv/data/a/../b.txt", "n": 3.0, "title": "x"},
}

func BenchmarkDecide50Rules(b *testing.B) {
	for _, tc := range []struct {
		name string
		last bool
		want string
	}{{"last-rule-matches", true, "last"}, {"default", false, DefaultRule}} {
		b.Run(tc.name, func(b *testing.B) {
			p := benchPolicy(b, tc.last)
			if d := p.Decide(benchInput); d.Rule != tc.want {
				b.Fatalf("decided by %q, want %q", d.Rule, tc.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				p.Decide(benchInput)
			}
		})
	}
}

func BenchmarkVisible50Rules(b *testing.B) {
	p := benchPolicy(b, true)
	b.ReportAllocs()
	for b.Loop() {
		p.Visible(benchInput)
	}
}
