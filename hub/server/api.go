package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/console"
	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// newAPI builds the REST API over this hub's parts. Without a policy_file it also applies
// the policy stored in the database, if any.
func (s *Server) newAPI(ctx context.Context) (http.Handler, error) {
	if s.cfg.PolicyFile == "" {
		if err := s.SyncPolicy(ctx); err != nil {
			return nil, err
		}
	}
	names := make([]string, len(s.cfg.Backends))
	for i, b := range s.cfg.Backends {
		names[i] = b.Name
	}
	var cons api.ConsoleSessions
	if !s.cfg.UI.Disabled {
		s.Console = s.newConsole()
		cons = s.Console
	}
	h := api.New(api.Deps{
		Store: s.Store, Keys: watchedKeys{s.Keys, s.endStaleStreams}, Authz: s.RBAC,
		Sessions: s.sessions,
		Agents:   s.Agents, Health: s.Router, Tools: s.Tools, Audit: s.Audit, Locals: s.localBackends(),
		Bounds: s.Upstream, HubID: s.clusterID(),
		Logins:         &backendLogins{set: s.Locals, tokens: oauthTokens{st: s.Store, key: s.masterKey}},
		ConfigBackends: names, ConfigGroups: s.cfg.Groups, ReloadGroups: s.reloadGroups, ToolStatesChanged: func() { s.GW.ToolStatesChanged() }, GroupTools: func(n string) ([]tools.Info, bool) { return s.GW.GroupTools(n) }, PolicyFile: s.cfg.PolicyFile, FilePolicy: s.policyFile, SetPolicy: s.applyPolicy,
		Rate: s.rates, TrustedProxies: s.cfg.Proxies(), Console: cons, HubURL: s.installConfig().HubURL,
	}, s.log.With("component", "api"))
	if s.Console != nil {
		s.Console.SetLogin(h.(*api.API))
	}
	return h, nil
}

// newConsole is the web console at /ui, its cookie scoped to public_url's path.
func (s *Server) newConsole() *console.Console {
	cfg := console.Config{IdleTimeout: s.cfg.UI.IdleTimeout.Duration, MaxAge: s.cfg.UI.MaxAge.Duration,
		TrustForwardedProto: s.cfg.TrustForwardedProto}
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && s.cfg.PublicURL != "" {
		cfg.BasePath = u.Path
		cfg.SecureCookie = u.Scheme == "https"
	}
	return console.New(cfg, s.Store, s.log.With("component", "console"))
}

// watchedKeys is the key cache as the REST API sees it: after each reload that a write
// causes (a revoked key, a disabled user, a changed role), changed runs.
type watchedKeys struct {
	*auth.Cache
	changed func()
}

func (k watchedKeys) Invalidate(ctx context.Context) error {
	err := k.Cache.Invalidate(ctx)
	k.changed()
	return err
}

// endStaleStreams ends the MCP streams of keys revoked, users disabled or deleted, and
// roles changed, as of the key cache (gateway.EndStaleStreams).
func (s *Server) endStaleStreams() { s.GW.EndStaleStreams(s.currentCaller) }

// storedPolicy is the "policy" setting this hub applied last, so that policySync applies
// only what another hub (or the CLI) wrote.
type storedPolicy struct {
	mu   sync.Mutex
	last string
}

// PolicySyncEvery is how often a hub without policy_file re-reads the stored policy, so a
// change made through another hub's API takes effect here too.
const PolicySyncEvery = 30 * time.Second

// policySync re-reads the stored policy every PolicySyncEvery until ctx ends; a policy
// that fails to load is logged and the current one kept.
func (s *Server) policySync(ctx context.Context) error {
	if s.cfg.PolicyFile != "" {
		return nil
	}
	t := time.NewTicker(PolicySyncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.SyncPolicy(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("stored policy not applied; keeping the current one", "err", err)
			}
		}
	}
}

// SyncPolicy applies the "policy" setting if it changed since this hub applied it (a hub
// with policy_file never calls it). At start, one that does not compile stops the hub:
// running without the operator's rules would fail open.
func (s *Server) SyncPolicy(ctx context.Context) error {
	raw, err := s.Store.GetSetting(ctx, api.PolicySetting)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load stored policy: %w", err)
	}
	s.stored.mu.Lock()
	defer s.stored.mu.Unlock()
	if raw == s.stored.last {
		return nil
	}
	var f policy.File
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		return fmt.Errorf("stored policy (setting %q): %w", api.PolicySetting, err)
	}
	if err := s.compileAndSwap(&f); err != nil {
		return fmt.Errorf("stored policy (setting %q): %w", api.PolicySetting, err)
	}
	s.stored.last = raw
	s.log.Info("policy loaded from the database", "rules", len(f.Rules), "default", f.Default)
	return nil
}

// applyPolicy is the REST API's SetPolicy: it swaps the gateway's policy for f, which the
// API has just stored, and notes it so that policySync does not apply it again.
func (s *Server) applyPolicy(f *policy.File) error {
	s.stored.mu.Lock()
	defer s.stored.mu.Unlock()
	if err := s.compileAndSwap(f); err != nil {
		return err
	}
	if f != nil {
		raw, err := json.Marshal(f)
		if err != nil {
			return err
		}
		s.stored.last = string(raw)
	}
	return nil
}

// compileAndSwap compiles f and swaps the gateway's policy; nil removes it.
func (s *Server) compileAndSwap(f *policy.File) error {
	if f == nil {
		s.GW.SetPolicy(nil)
		return nil
	}
	p, err := policy.Compile(*f)
	if err != nil {
		return err
	}
	s.GW.SetPolicy(p)
	return nil
}

// loadStoredBackends adds the hub-local backends created through the API to the set; one
// whose name hub.toml now declares is skipped (the file wins).
func (s *Server) loadStoredBackends(ctx context.Context) error {
	recs, err := s.Store.ListBackends(ctx)
	if err != nil {
		return fmt.Errorf("load API backends: %w", err)
	}
	for _, rec := range recs {
		if !api.RunsOn(rec, s.clusterID()) {
			continue // its hubs do not name this one
		}
		cfg, err := api.StoredBackend(rec)
		if err != nil {
			s.log.Warn("stored backend is unreadable; skipped", "backend", rec.Name, "err", err)
			continue
		}
		if _, dup := s.Locals.Get(rec.Name); dup {
			s.log.Warn("stored backend has the name of one in hub.toml; the file's wins", "backend", rec.Name)
			continue
		}
		if err := s.Locals.Add(ctx, cfg); err != nil {
			s.log.Warn("stored backend is invalid; skipped", "backend", rec.Name, "err", err)
		}
	}
	return nil
}

// localBackends adds and removes hub-local backends for the REST API and keeps the routing
// table in step. On PostgreSQL the change listener (syncBackends) may have applied the
// API's own write first, from its notification: adding a backend already running with the
// same configuration is then no error (removing one already gone is not either: the API
// ignores backend.ErrUnknownBackend).
type localBackends struct {
	mu      *sync.Mutex // serializes with syncBackends
	set     *backend.Set
	publish func() // gives the router the set's snapshots (Server.publishLocals)
}

func (s *Server) localBackends() localBackends {
	return localBackends{mu: &s.backendsMu, set: s.Locals, publish: s.publishLocals}
}

func (l localBackends) Add(ctx context.Context, cfg backend.Config) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.set.Get(cfg.Name); ok && sameBackend(b.Config(), cfg) {
		return nil
	}
	return l.set.Add(ctx, cfg)
}

func (l localBackends) Remove(name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.set.Remove(name)
	l.publish()
	return err
}
