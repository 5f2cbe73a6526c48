package policy

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGolden runs testdata/X.cases.toml against testdata/X.policy.toml, and checks that the
// cases decide by every rule and by the default, and that every rule also fails to match a
// case that reaches it: each decision is tested both ways.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.policy.toml")
	if len(files) < 2 {
		t.Fatalf("golden policies: %v", files)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			p, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			cases, err := LoadCases(strings.TrimSuffix(file, ".policy.toml") + ".cases.toml")
			if err != nil {
				t.Fatal(err)
			}
			decided, missed := map[string]bool{}, map[string]bool{}
			for _, c := range cases {
				if _, err := c.Check(p); err != nil {
					t.Errorf("%s: %v", c.Name, err)
				}
				for _, st := range p.Explain(c.Input()).Steps {
					if st.Matched {
						decided[st.Rule] = true
					} else {
						missed[st.Rule] = true
					}
				}
				if d := p.Decide(c.Input()); d.Rule == DefaultRule {
					decided[DefaultRule] = true
				}
			}
			for _, r := range append(p.ruleNames(), DefaultRule) {
				if !decided[r] {
					t.Errorf("no case is decided by %q", r)
				}
				if r != DefaultRule && !missed[r] {
					t.Errorf("no case reaches %q without matching it", r)
				}
			}
		})
	}
}

func (p *Policy) ruleNames() []string {
	var s []string
	for _, r := range p.rules {
		s = append(s, r.name)
	}
	return s
}
