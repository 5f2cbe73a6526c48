package policy

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`default = "maybe"`, `default: must be "allow" or "deny", got "maybe"`},
		{``, `default: must be "allow" or "deny", got ""`},
		{`default = "deny"` + "\nfoo = 1", `unknown key "foo"`},
		{"default = \"deny\"\n[[rules]]\nname = \"a\"\neffect = \"allow\"\ntool = [\"x\"]", `unknown key "rules.tool"`},
		{"default = \"deny\"\n[[rules]]\nname = \"r1\"\neffect = \"block\"", `rule "r1" (rules[0]): effect: must be "allow" or "deny", got "block"`},
		{"default = \"deny\"\n[[rules]]\neffect = \"allow\"", `rule "" (rules[0]): name: must match`},
		{"default = \"deny\"\n[[rules]]\nname = \"default\"\neffect = \"allow\"", `name: "default" is reserved`},
		{"default = \"deny\"\n[[rules]]\nname = \"a\"\neffect = \"allow\"\n[[rules]]\nname = \"a\"\neffect = \"deny\"", `rule "a" (rules[1]): name: used by an earlier rule`},
		{"default = \"deny\"\n[[rules]]\nname = \"g\"\neffect = \"allow\"\ntools = [\"[a-\"]", `rule "g" (rules[0]): tools: bad glob "[a-"`},
		{"default = \"deny\"\n[[rules]]\nname = \"k\"\neffect = \"allow\"\nrisk = [\"dangerous\"]", `rule "k" (rules[0]): risk: unknown category "dangerous"`},
		{"default = \"deny\"\n[[rules]]\nname = \"c\"\neffect = \"allow\"\nwhen = [{arg = \"path\", under = \"tmp\"}]", `rule "c" (rules[0]): when[0] (arg "path"): under: "tmp" is not an absolute directory`},
		{"default = \"deny\"\n[[rules]]\nname = \"c\"\neffect = \"allow\"\nwhen = [{arg = \"path\", under = \"/a\", prefix = \"/a\"}]", `when[0] (arg "path"): needs exactly one of`},
		{"default = \"deny\"\n[[rules]]\nname = \"c\"\neffect = \"allow\"\nwhen = [{arg = \"n\", min = 5, max = 1}]", `min/max: empty range`},
		{"default = \"deny\"\n[[rules]]\nname = \"c\"\neffect = \"allow\"\nwhen = [{arg = \"a..b\", equals = \"x\"}]", `when[0] (arg "a..b"): arg: must name an argument`},
		{"default = \"deny\"\n[[rules]]\nname = \"c\"\neffect = \"allow\"\nwhen = [{arg = \"a\", equals = \"x\", colour = 1}]", `unknown key "rules.when.colour"`},
		{"default = \"deny\"\n[[rules]]\nname = \"c\"\neffect = \"allow\"\npriority = \"high\"", `invalid policy`},
	} {
		_, err := Parse([]byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q:\n got %v\nwant an ErrInvalid containing %q", tc.src, err, tc.want)
		}
	}
}

func TestPriorityThenFileOrder(t *testing.T) {
	p, err := Parse([]byte(`default = "allow"
[[rules]]
name = "first-low"
effect = "allow"
[[rules]]
name = "second-low"
effect = "deny"
[[rules]]
name = "high"
effect = "deny"
priority = 5
tools = ["x"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Decide(Input{Tool: "x"}); d.Rule != "high" || d.Allowed() {
		t.Errorf("x: %+v, want high deny", d)
	}
	if d := p.Decide(Input{Tool: "y"}); d.Rule != "first-low" || !d.Allowed() {
		t.Errorf("y: %+v, want first-low allow", d)
	}
}

func TestExplain(t *testing.T) {
	p, err := Load("testdata/main.policy.toml")
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Tool: "fs__write_file", Target: router.Target{Backend: "fs", Name: "write_file"}, Risk: "write", Role: "operator",
		Arguments: map[string]any{"path": "/srv/data/../../etc/passwd"}}
	e := p.Explain(in)
	if e.Decision != p.Decide(in) || e.Decision.Rule != "fs-deny-write" || !e.Visible {
		t.Fatalf("explain decision %+v visible %v", e.Decision, e.Visible)
	}
	var text []string
	for _, s := range e.Steps {
		text = append(text, s.Rule+": "+s.Why)
	}
	got := strings.Join(text, "\n")
	for _, want := range []string{
		`no-destructive-on-prod: risk "write" is not one of [destructive]`,
		`owners-all: role "operator" matches none of ["owner"]`,
		`fs-write-in-data: condition failed: argument path is under /srv/data; got "/srv/data/../../etc/passwd" (cleaned "/etc/passwd")`,
		`fs-deny-write: matched: risk [write destructive], backends ["fs"]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("explanation lacks %q:\n%s", want, got)
		}
	}
	if len(e.Steps) != 4 {
		t.Errorf("%d steps, want 4 (rules after the deciding one are not reached)", len(e.Steps))
	}
	if e := p.Explain(Input{Tool: "nothing", Role: "nobody"}); e.Decision.Rule != DefaultRule || len(e.Steps) != p.Len() {
		t.Errorf("default: %+v, %d steps", e.Decision, len(e.Steps))
	}
}

// The fast paths of compiled globs agree with path.Match.
func TestGlobAgreesWithPathMatch(t *testing.T) {
	pats := []string{"abc", "ab*", "*bc", "*", "", "a*c", "a?c", "[ab]*", "*/x", "x/*", `a\*`, "*b*", "*/*", "x*[a-c]y", "[a]]z", "a]b", "*?c", `*\?c`, "ab[c-d]", "[^a]bc"}
	subjects := []string{"", "abc", "ab", "abcd", "xbc", "a/bc", "ab/c", "x/y", "a*", "*/x", "b", "x/", "xby", "x/by", "]z", "az", "a]b", "a?c", "abd", "xbc/"}
	for _, p := range pats {
		g, err := compileGlob(p)
		if err != nil {
			t.Fatal(p, err)
		}
		for _, s := range subjects {
			want, _ := path.Match(p, s)
			if got := g.match(s); got != want {
				t.Errorf("glob %q (kind %d) on %q = %v, path.Match says %v", p, g.kind, s, got, want)
			}
		}
	}
}

func TestUnder(t *testing.T) {
	for _, tc := range []struct {
		p, dir string
		want   bool
	}{
		{"/srv/data", "/srv/data", true},
		{"/srv/data/", "/srv/data", true},
		{"/srv/data/x/../y", "/srv/data", true},
		{"/srv/data/..", "/srv/data", false},
		{"/srv/data/../data2", "/srv/data", false},
		{"/srv/database", "/srv/data", false},
		{"//srv//data//x", "/srv/data", true},
		{`/srv/data\..\..\etc`, "/srv/data", false},
		{"/../../srv/data/x", "/srv/data", true}, // .. at the root stays at the root
		{"srv/data/x", "/srv/data", false},
		{"./x", "/", false},
		{"", "/", false},
		{"/etc/passwd", "/", true},
		{"/srv/data/\x00/x", "/srv/data", false},
		{`C:\Users\me\x`, "C:/Users/me", true},
		{`C:\Users\me\..\you`, "C:/Users/me", false},
		{`C:\x`, "C:/", true},
		{`D:\x`, "C:/", false},
	} {
		dir, _ := cleanAbs(tc.dir)
		if got := under(tc.p, dir); got != tc.want {
			t.Errorf("under(%q, %q) = %v, want %v", tc.p, tc.dir, got, tc.want)
		}
	}
}

func TestDecideDoesNotAllocate(t *testing.T) {
	p, err := Load("testdata/main.policy.toml")
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Tool: "laptop__github__create_issue", Target: router.Target{Agent: "laptop", Backend: "github", Name: "create_issue"},
		Risk: "write", Role: "viewer", Arguments: map[string]any{"repo": "acme/web", "path": "/srv/data/x"}}
	if n := testing.AllocsPerRun(100, func() { p.Decide(in) }); n != 0 {
		t.Errorf("Decide allocates %v times", n)
	}
}

// Regression: "under" compared paths case-sensitively, so on a backend whose file system
// folds case (Windows, macOS) a deny rule on C:/Windows or ~/.ssh was side-stepped with
// C:/WINDOWS or ~/.SSH. Each condition is now read in its rule's safe direction: a deny
// rule's "under" holds for every case, its "not under" only for the exact case; an allow
// rule the other way round. No rule lets more through than before.
func TestUnderIsSafeForCaseFoldingFileSystems(t *testing.T) {
	p, err := Parse([]byte(`default = "allow"
[[rules]]
name = "no-ssh"
effect = "deny"
when = [{ arg = "path", under = "/Users/bob/.ssh" }]

[[rules]]
name = "no-windows"
effect = "deny"
when = [{ arg = "path", under = "C:/Windows" }]

[[rules]]
name = "only-tmp-for-write"
effect = "deny"
tools = ["write"]
when = [{ arg = "path", under = "/tmp", not = true }]

[[rules]]
name = "srv-ok"
effect = "allow"
tools = ["read"]
when = [{ arg = "path", under = "/srv" }]

[[rules]]
name = "read-elsewhere"
effect = "deny"
tools = ["read"]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ tool, path, rule string }{
		{"cat", "/Users/bob/.ssh/id_rsa", "no-ssh"},
		{"cat", "/Users/bob/.SSH/id_rsa", "no-ssh"},
		{"cat", "/users/BOB/.Ssh", "no-ssh"},
		{"cat", `c:\windows\system32\config`, "no-windows"},
		{"cat", "C:/WINDOWS/x", "no-windows"},
		{"cat", "/Users/bob/.sshx/k", DefaultRule},
		{"write", "/tmp/x", DefaultRule},
		{"write", "/TMP/x", "only-tmp-for-write"}, // deny "not under": exact, so /TMP is refused
		{"write", "/etc/x", "only-tmp-for-write"},
		{"read", "/srv/a", "srv-ok"},
		{"read", "/SRV/a", "read-elsewhere"}, // allow: exact case only
	} {
		d := p.Decide(Input{Tool: tc.tool, Arguments: map[string]any{"path": tc.path}})
		if d.Rule != tc.rule {
			t.Errorf("%s %q: decided by %q, want %q", tc.tool, tc.path, d.Rule, tc.rule)
		}
	}
}

// Regression: an array argument passed a condition only when every element did, which is
// safe for an allow rule but let a deny rule be side-stepped by adding a harmless element:
// ["/tmp/a", "/etc/shadow"] is not all under /etc, so "deny under /etc" did not apply. A
// deny rule's condition (an allow rule's "not" one) now holds when any element passes.
func TestArrayArgumentsCannotHideFromDenyRules(t *testing.T) {
	p, err := Parse([]byte(`default = "allow"
[[rules]]
name = "no-etc"
effect = "deny"
tools = ["cat"]
when = [{ arg = "paths", under = "/etc" }]

[[rules]]
name = "cp-outside-secret"
effect = "allow"
tools = ["cp"]
when = [{ arg = "paths", under = "/secret", not = true }]

[[rules]]
name = "no-cp"
effect = "deny"
tools = ["cp"]

[[rules]]
name = "srv-only"
effect = "allow"
tools = ["ls"]
when = [{ arg = "paths", under = "/srv" }]

[[rules]]
name = "no-ls"
effect = "deny"
tools = ["ls"]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tool  string
		paths []any
		rule  string
	}{
		{"cat", []any{"/tmp/a", "/etc/shadow"}, "no-etc"},
		{"cat", []any{"/etc/shadow"}, "no-etc"},
		{"cat", []any{"/tmp/a", "/home/b"}, DefaultRule},
		{"cat", []any{}, DefaultRule},
		{"cp", []any{"/ok", "/secret/key"}, "no-cp"},
		{"cp", []any{"/ok", "/fine"}, "cp-outside-secret"},
		{"ls", []any{"/srv/a", "/etc"}, "no-ls"},
		{"ls", []any{"/srv/a", "/srv/b"}, "srv-only"},
	} {
		d := p.Decide(Input{Tool: tc.tool, Arguments: map[string]any{"paths": tc.paths}})
		if d.Rule != tc.rule {
			t.Errorf("%s %v: decided by %q, want %q", tc.tool, tc.paths, d.Rule, tc.rule)
		}
	}
}
