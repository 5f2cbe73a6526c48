package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// newAPI builds the REST API over this hub's parts.
func (s *Server) newAPI() http.Handler {
	names := make([]string, len(s.cfg.Backends))
	for i, b := range s.cfg.Backends {
		names[i] = b.Name
	}
	return api.New(api.Deps{
		Store: s.Store, Keys: s.Keys, Authz: api.OwnerOnly{},
		Agents: s.Agents, Health: s.Router, Tools: s.Tools, Locals: localBackends{s.Locals, s.Router},
		ConfigBackends: names, PolicyFile: s.cfg.PolicyFile,
	}, s.log.With("component", "api"))
}

// loadStoredBackends adds the hub-local backends created through the API to the set; one
// whose name hub.toml now declares is skipped (the file wins).
func (s *Server) loadStoredBackends(ctx context.Context) error {
	recs, err := s.Store.ListBackends(ctx)
	if err != nil {
		return fmt.Errorf("load API backends: %w", err)
	}
	for _, rec := range recs {
		var c api.BackendConfig
		if err := json.Unmarshal([]byte(rec.Config), &c); err != nil {
			s.log.Warn("stored backend is unreadable; skipped", "backend", rec.Name, "err", err)
			continue
		}
		c.Name = rec.Name
		if _, dup := s.Locals.Get(rec.Name); dup {
			s.log.Warn("stored backend has the name of one in hub.toml; the file's wins", "backend", rec.Name)
			continue
		}
		if err := s.Locals.Add(ctx, api.BackendFromConfig(c)); err != nil {
			s.log.Warn("stored backend is invalid; skipped", "backend", rec.Name, "err", err)
		}
	}
	return nil
}

// localBackends adds and removes hub-local backends and keeps the routing table in step.
type localBackends struct {
	set    *backend.Set
	router *router.Router
}

func (l localBackends) Add(ctx context.Context, cfg backend.Config) error { return l.set.Add(ctx, cfg) }

func (l localBackends) Remove(name string) error {
	err := l.set.Remove(name)
	l.router.Set("", l.set.Snapshots())
	return err
}
