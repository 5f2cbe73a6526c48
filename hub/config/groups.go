package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/risk"
)

// Group is one [[groups]] entry: a named set of tools served at /mcp/<name> (docs/GROUPS.md).
// Each non-empty selector narrows the group (they are ANDed); within a selector any value
// matches. At least one selector must be set.
type Group struct {
	// Name is the group's endpoint, /mcp/<name>: 1-63 characters of a-z, 0-9, '-' and '_'.
	Name string `toml:"name" json:"name"`
	// Description says what the group is for (shown by the REST API and the CLI).
	Description string `toml:"description" json:"description,omitempty"`
	// Tools are globs over exposed tool names (policy glob syntax), e.g. "laptop__fs__*".
	Tools []string `toml:"tools" json:"tools,omitempty"`
	// Agents are agent ids: their tools, prompts and resources.
	Agents []string `toml:"agents" json:"agents,omitempty"`
	// Backends are backend names ("fs": that backend on any agent or the hub) or
	// "agent/backend": their tools, prompts and resources.
	Backends []string `toml:"backends" json:"backends,omitempty"`
	// Risks are risk categories (read, write, external-api, admin, execute, destructive,
	// unclassified): tools of these categories.
	Risks []string `toml:"risks" json:"risks,omitempty"`
	// Surface is what the group's endpoint serves a caller whose URL, key and application
	// choose nothing (docs/DISCOVERY.md): "full" (the group's tools), "discovery" (search,
	// describe and call over the group's tools), or "" (the hub's [discovery] surface).
	Surface string `toml:"surface" json:"surface,omitempty"`
}

var groupNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidGroupName checks a group name: it is the path segment of /mcp/<name>.
func ValidGroupName(name string) error {
	if !groupNameRE.MatchString(name) {
		return fmt.Errorf("group name %q must be 1-63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit", name)
	}
	return nil
}

// Validate checks a group: its name and every selector.
func (g *Group) Validate() error {
	if err := ValidGroupName(g.Name); err != nil {
		return err
	}
	if len(g.Tools)+len(g.Agents)+len(g.Backends)+len(g.Risks) == 0 {
		return fmt.Errorf("group %q selects nothing: set tools, agents, backends or risks", g.Name)
	}
	for _, p := range g.Tools {
		if _, err := policy.CompileGlob(p); err != nil || p == "" {
			return fmt.Errorf("group %q: invalid tool glob %q", g.Name, p)
		}
	}
	for _, a := range g.Agents {
		if a == "" {
			return fmt.Errorf("group %q: empty agent id", g.Name)
		}
	}
	for _, b := range g.Backends {
		ag, be, two := strings.Cut(b, "/")
		if b == "" || (two && (ag == "" || be == "" || strings.Contains(be, "/"))) {
			return fmt.Errorf("group %q: backend %q must be \"name\" or \"agent/name\"", g.Name, b)
		}
	}
	for _, r := range g.Risks {
		if _, err := risk.ParseCategory(r); err != nil {
			return fmt.Errorf("group %q: %v", g.Name, err)
		}
	}
	if g.Surface != "" && g.Surface != "full" && g.Surface != "discovery" {
		return fmt.Errorf("group %q: surface %q is neither \"full\" nor \"discovery\" (nor empty: the hub's)", g.Name, g.Surface)
	}
	return nil
}

func validateGroups(gs []Group) error {
	var errs []error
	seen := map[string]bool{}
	for i := range gs {
		if err := gs[i].Validate(); err != nil {
			errs = append(errs, fmt.Errorf("groups[%d]: %w", i, err))
		}
		if seen[gs[i].Name] {
			errs = append(errs, fmt.Errorf("groups[%d]: duplicate name %q", i, gs[i].Name))
		}
		seen[gs[i].Name] = true
	}
	return errors.Join(errs...)
}
