package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/gateway"
)

// reloadGroups makes the gateway serve the tool groups of hub.toml and those stored through
// the REST API (docs/GROUPS.md); a stored group whose name hub.toml declares is hidden.
func (s *Server) reloadGroups(ctx context.Context) error {
	var out []*gateway.Group
	for _, g := range s.cfg.Groups {
		cg, err := gateway.CompileGroup(g)
		if err != nil {
			return fmt.Errorf("group %q: %w", g.Name, err)
		}
		out = append(out, cg)
	}
	recs, err := s.Store.ListToolGroups(ctx)
	if err != nil {
		return fmt.Errorf("load tool groups: %w", err)
	}
	for _, rec := range recs {
		if slices.ContainsFunc(s.cfg.Groups, func(g config.Group) bool { return g.Name == rec.Name }) {
			s.log.Warn("a stored tool group is hidden by hub.toml's group of the same name", "group", rec.Name)
			continue
		}
		var g config.Group
		if err := json.Unmarshal([]byte(rec.Spec), &g); err != nil {
			s.log.Warn("a stored tool group does not parse; not served", "group", rec.Name, "err", err)
			continue
		}
		g.Name = rec.Name
		cg, err := gateway.CompileGroup(g)
		if err != nil {
			s.log.Warn("a stored tool group is invalid; not served", "group", rec.Name, "err", err)
			continue
		}
		out = append(out, cg)
	}
	s.GW.SetGroups(out)
	return nil
}
