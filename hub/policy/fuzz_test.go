package policy

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

// FuzzParse: the parser never panics, and a policy it accepts decides, shows and explains
// any call consistently. Seeds: the golden policies and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.policy.toml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	inputs := []Input{
		{Tool: "fs__write_file", Target: router.Target{Backend: "fs", Name: "write_file"}, Risk: "write", Role: "operator",
			Arguments: map[string]any{"path": "/srv/data/../x", "n": 3.0, "payment": map[string]any{"amount": int64(5)}}},
		{Tool: "laptop__sh__run_command", Target: router.Target{Agent: "laptop", Backend: "sh", Name: "run_command"}, Role: "viewer"},
		{},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if p != nil {
				t.Fatal("a policy and an error")
			}
			return
		}
		for _, in := range inputs {
			d := p.Decide(in)
			e := p.Explain(in)
			if e.Decision != d || e.Visible != p.Visible(in) {
				t.Fatalf("explain %+v disagrees with decide %+v", e.Decision, d)
			}
			if d.Allowed() && !e.Visible {
				t.Fatalf("an allowed call to an invisible tool: %+v", d)
			}
		}
	})
}

// FuzzUnder: a path found under a directory stays under it once cleaned, whatever `..`,
// backslashes or repeated slashes it holds. Seeds: testdata/fuzz/FuzzUnder.
func FuzzUnder(f *testing.F) {
	for _, s := range [][2]string{{"/srv/data/../etc", "/srv/data"}, {`/srv/data\..\x`, "/srv/data"}, {"/srv/data2", "/srv/data"},
		{"//srv/./data/x", "/srv/data/"}, {`C:\a\..\b`, "C:/b"}, {"/", "/"}, {"../srv/data", "/srv/data"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, dirIn string) {
		dir, ok := cleanAbs(dirIn)
		if !ok {
			return
		}
		if !under(p, dir) {
			return
		}
		clean, ok := cleanAbs(p)
		if !ok {
			t.Fatalf("%q is under %q but not absolute", p, dir)
		}
		for _, seg := range strings.Split(clean, "/") {
			if seg == ".." {
				t.Fatalf("%q cleaned to %q keeps a ..", p, clean)
			}
		}
		if clean != dir && !strings.HasPrefix(clean, strings.TrimSuffix(dir, "/")+"/") {
			t.Fatalf("%q (cleaned %q) reported under %q", p, clean, dir)
		}
		if strings.ContainsRune(p, 0) {
			t.Fatalf("%q has a NUL byte", p)
		}
	})
}

// FuzzCondition: compiled string conditions agree with their definitions (path.Match for
// globs) on any argument. Seeds: testdata/fuzz/FuzzCondition.
func FuzzCondition(f *testing.F) {
	for _, s := range [][2]string{{"acme/*", "acme/web"}, {"*write*", "fs_write_file"}, {"*.env", ".env"}, {"a?c", "abc"},
		{"[a-c]*x", "bzx"}, {`\*`, "*"}, {"x*[a-c]y", "xby"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, arg string) {
		p, err := Compile(File{Default: "deny", Rules: []Rule{
			{Name: "glob", Effect: "allow", Tools: []string{"g"}, When: []Condition{{Arg: "a", Glob: &pattern}}},
			{Name: "prefix", Effect: "allow", Tools: []string{"p"}, When: []Condition{{Arg: "a", Prefix: &pattern}}},
			{Name: "equals", Effect: "allow", Tools: []string{"e"}, When: []Condition{{Arg: "a", Equals: &pattern, Not: true}}},
		}})
		if err != nil {
			if _, bad := path.Match(pattern, ""); bad == nil {
				t.Fatalf("pattern %q refused: %v", pattern, err)
			}
			return
		}
		args := map[string]any{"a": arg}
		want, _ := path.Match(pattern, arg)
		if got := p.Decide(Input{Tool: "g", Arguments: args}).Allowed(); got != want {
			t.Fatalf("glob %q on %q: %v, path.Match says %v", pattern, arg, got, want)
		}
		if got := p.Decide(Input{Tool: "p", Arguments: args}).Allowed(); got != strings.HasPrefix(arg, pattern) {
			t.Fatalf("prefix %q on %q: %v", pattern, arg, got)
		}
		if got := p.Decide(Input{Tool: "e", Arguments: args}).Allowed(); got != (arg != pattern) {
			t.Fatalf("not equals %q on %q: %v", pattern, arg, got)
		}
		if list := []any{arg, arg}; p.Decide(Input{Tool: "g", Arguments: map[string]any{"a": list}}).Allowed() != want {
			t.Fatalf("a list of %q disagrees with the value alone", arg)
		}
	})
}
