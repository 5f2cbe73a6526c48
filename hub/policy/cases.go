package policy

import (
	"fmt"
	"os"

	"github.com/BurntSushi/toml"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

// Case is one golden case: an input and the decision expected for it.
type Case struct {
	Name        string         `toml:"name"`
	Tool        string         `toml:"tool"`
	Alias       string         `toml:"alias"`
	Original    string         `toml:"original"`
	Agent       string         `toml:"agent"`
	Backend     string         `toml:"backend"`
	Risk        string         `toml:"risk"`
	Application string         `toml:"application"`
	Role        string         `toml:"role"`
	Arguments   map[string]any `toml:"arguments"`
	Expect      string         `toml:"expect"`  // allow | deny
	Rule        string         `toml:"rule"`    // the deciding rule, or "default"
	Visible     *bool          `toml:"visible"` // optional: Visible(input)
}

// Input returns the case's input.
func (c Case) Input() Input {
	return Input{
		Tool:        c.Tool,
		Alias:       c.Alias,
		Target:      router.Target{Agent: c.Agent, Backend: c.Backend, Name: c.Original},
		Risk:        c.Risk,
		Application: c.Application,
		Role:        c.Role,
		Arguments:   c.Arguments,
	}
}

// Check decides the case with p and returns an error describing any difference from what
// the case expects.
func (c Case) Check(p *Policy) (Decision, error) {
	d := p.Decide(c.Input())
	if string(d.Effect) != c.Expect || d.Rule != c.Rule {
		return d, fmt.Errorf("got %s by rule %q, want %s by rule %q", d.Effect, d.Rule, c.Expect, c.Rule)
	}
	if c.Visible != nil && p.Visible(c.Input()) != *c.Visible {
		return d, fmt.Errorf("visible = %v, want %v", !*c.Visible, *c.Visible)
	}
	return d, nil
}

// LoadCases reads a cases file: [[cases]] tables with the fields of Case.
func LoadCases(file string) ([]Case, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load cases: %w", err)
	}
	var f struct {
		Cases []Case `toml:"cases"`
	}
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, k := range md.Undecoded() {
		if len(k) < 3 || k[1] != "arguments" { // arguments hold any keys
			return nil, fmt.Errorf("%s: unknown key %q", file, k.String())
		}
	}
	for i, c := range f.Cases {
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("%s: cases[%d]: name: required", file, i)
		case c.Tool == "":
			return nil, fmt.Errorf("%s: case %q: tool: required", file, c.Name)
		case c.Expect != string(Allow) && c.Expect != string(Deny):
			return nil, fmt.Errorf("%s: case %q: expect: must be \"allow\" or \"deny\", got %q", file, c.Name, c.Expect)
		case c.Rule == "":
			return nil, fmt.Errorf("%s: case %q: rule: required (a rule name, or %q)", file, c.Name, DefaultRule)
		}
	}
	return f.Cases, nil
}
