package server

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
)

// Several hubs on one PostgreSQL database (docs/SCALING.md): each listens for the
// change notifications the database's triggers send when any writer (another hub's REST
// API, the offline CLI) commits, and reloads the caches the change concerns at once. The
// periodic reloads (30 s) stay as the fallback for a lost listening connection.

// sessionKey is the key that seals 2025 session ids on PostgreSQL, where several hubs may
// serve one session (gateway.Config.SessionKey); every hub derives the same one from the
// shared master key. On SQLite (one hub) or without a master key, nil: random ids.
func (s *Server) sessionKey() []byte {
	if s.Store.Dialect() != "postgres" {
		return nil
	}
	if s.masterKey == nil {
		s.log.Warn("no master key: 2025 sessions continue only on the hub that created them (set " + masterkey.EnvVar + " on every hub)")
		return nil
	}
	return s.masterKey.Derive("session id v1")
}

// listenChanges runs until ctx ends; on SQLite (one hub per database) it returns at once.
func (s *Server) listenChanges(ctx context.Context) error {
	if s.Store.Dialect() != "postgres" {
		return nil
	}
	c := &changes{wake: make(chan struct{}, 1), pending: map[string]bool{}}
	var wg sync.WaitGroup
	wg.Go(func() { s.applyChanges(ctx, c) })
	err := store.Listen(ctx, store.ListenConfig{
		DatabaseURL: s.cfg.DatabaseURL, OnChange: c.add, Logger: s.log.With("component", "changes"),
	})
	wg.Wait()
	return err
}

// changes coalesces the topics notified while the previous ones were being applied: a
// burst of writes costs one reload per cache, not one per write.
type changes struct {
	wake    chan struct{}
	mu      sync.Mutex
	pending map[string]bool
}

func (c *changes) add(topic string) {
	c.mu.Lock()
	c.pending[topic] = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *changes) take() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending
	c.pending = map[string]bool{}
	return p
}

func (s *Server) applyChanges(ctx context.Context, c *changes) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
			s.apply(ctx, c.take())
		}
	}
}

// apply reloads what the topics name; a failed reload is logged and the previous state
// keeps serving until the next notification or periodic reload.
func (s *Server) apply(ctx context.Context, topics map[string]bool) {
	any := func(names ...string) bool {
		if topics[store.TopicAll] {
			return true
		}
		return slices.ContainsFunc(names, func(n string) bool { return topics[n] })
	}
	warn := func(what string, err error) {
		if err != nil && ctx.Err() == nil {
			s.log.Warn("reload after a change notification failed; keeping the previous state", "what", what, "err", err)
		}
	}
	if any(store.TopicKeys, store.TopicUsers, store.TopicAgents) {
		warn("keys", s.Keys.Refresh(ctx))
		s.DropRevokedAgents()
		s.endStaleStreams()
	}
	if any(store.TopicRoles) {
		warn("roles", s.RBAC.Refresh(ctx))
	}
	if any(store.TopicSettings) && s.cfg.PolicyFile == "" {
		warn("policy", s.SyncPolicy(ctx))
	}
	if any(store.TopicTools) {
		warn("tool states", s.Tools.Load(ctx))
	}
	if any(store.TopicBackends) {
		warn("backends", s.syncBackends(ctx))
	}
	for t := range topics {
		if body, ok := strings.CutPrefix(t, topicResource+"\n"); ok && s.cluster != nil {
			s.resourceUpdatedElsewhere(body)
		}
	}
	if any(store.TopicGroups) {
		warn("tool groups", s.reloadGroups(ctx))
	}
	if any(store.TopicPresence) && s.cluster != nil {
		s.cluster.Invalidate() // its poll stays for leases that run out, which notify nothing
	}
}

// syncBackends makes the hub-local backends created through the REST API (by any hub) the
// ones the store holds: new ones start, changed ones restart, deleted ones stop. Those of
// hub.toml are left alone (the file wins over a stored one of the same name).
func (s *Server) syncBackends(ctx context.Context) error {
	recs, err := s.Store.ListBackends(ctx)
	if err != nil {
		return fmt.Errorf("load API backends: %w", err)
	}
	l := s.localBackends()
	l.mu.Lock()
	defer l.mu.Unlock()
	want := make(map[string]backend.Config, len(recs))
	for _, rec := range recs {
		if s.fileBackend(rec.Name) || !api.RunsOn(rec, s.clusterID()) {
			continue // hub.toml's wins; or another hub's only (its hubs do not name this one)
		}
		cfg, err := api.StoredBackend(rec)
		if err != nil {
			s.log.Warn("stored backend is unreadable; skipped", "backend", rec.Name, "err", err)
			continue
		}
		want[rec.Name] = cfg
	}
	changed := false
	for _, name := range l.set.Names() {
		if _, keep := want[name]; !keep && !s.fileBackend(name) {
			_ = l.set.Remove(name)
			changed = true
			s.log.Info("backend deleted, or its hubs changed to leave this one out, through another hub or the CLI; stopped", "backend", name)
		}
	}
	for name, cfg := range want {
		b, ok := l.set.Get(name)
		if ok && sameBackend(b.Config(), cfg) {
			continue
		}
		if ok {
			_ = l.set.Remove(name)
		}
		changed = true
		if err := l.set.Add(ctx, cfg); err != nil {
			s.log.Warn("stored backend is invalid; skipped", "backend", name, "err", err)
			continue
		}
		s.log.Info("backend added or changed through another hub or the CLI; started", "backend", name)
	}
	if changed {
		l.publish()
	}
	return nil
}

// fileBackend reports whether hub.toml declares the backend.
func (s *Server) fileBackend(name string) bool {
	return slices.ContainsFunc(s.cfg.Backends, func(b backend.Config) bool { return b.Name == name })
}

// sameBackend compares two configurations, an empty map or list equal to none (the stored
// JSON leaves them out).
func sameBackend(a, b backend.Config) bool {
	norm := func(c backend.Config) backend.Config {
		if len(c.Args) == 0 {
			c.Args = nil
		}
		if len(c.Env) == 0 {
			c.Env = nil
		}
		if len(c.Headers) == 0 {
			c.Headers = nil
		}
		if len(c.OAuthScopes) == 0 {
			c.OAuthScopes = nil
		}
		return c
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
