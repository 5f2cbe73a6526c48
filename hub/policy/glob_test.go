package policy

import "testing"

func TestExportedGlob(t *testing.T) {
	cases := []struct {
		pattern string
		yes, no []string
	}{
		{"github__create_issue", []string{"github__create_issue"}, []string{"github__create_issues", "x"}},
		{"github__*", []string{"github__", "github__x"}, []string{"gitlab__x", "github__a/b"}},
		{"*delete*", []string{"delete", "fs__delete_file"}, []string{"remove", "a/delete"}},
		{"*_file", []string{"read_file"}, []string{"read_files"}},
		{"fs__[rw]*", []string{"fs__read", "fs__write"}, []string{"fs__list"}},
		{"a?c", []string{"abc"}, []string{"ac", "abbc"}},
	}
	for _, c := range cases {
		g, err := CompileGlob(c.pattern)
		if err != nil {
			t.Fatalf("CompileGlob(%q): %v", c.pattern, err)
		}
		if g.String() != c.pattern {
			t.Errorf("String() = %q, want %q", g.String(), c.pattern)
		}
		for _, s := range c.yes {
			if !g.Match(s) {
				t.Errorf("%q does not match %q", c.pattern, s)
			}
		}
		for _, s := range c.no {
			if g.Match(s) {
				t.Errorf("%q matches %q", c.pattern, s)
			}
		}
	}
	if _, err := CompileGlob("fs__[r"); err == nil {
		t.Error("unclosed [ compiled")
	}
}
