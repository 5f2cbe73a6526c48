// Package server assembles a hub: store, key cache, router, agent registry, hub-local
// backends and the MCP gateway behind one HTTP handler, with Run(ctx) and clean shutdown.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/cluster"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/connlimit"
	"github.com/mcp-gateway/mcp-gateway/hub/console"
	"github.com/mcp-gateway/mcp-gateway/hub/gateway"
	"github.com/mcp-gateway/mcp-gateway/hub/install"
	"github.com/mcp-gateway/mcp-gateway/hub/metrics"
	"github.com/mcp-gateway/mcp-gateway/hub/oauth"
	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/ratelimit"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/releases"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
	"github.com/mcp-gateway/mcp-gateway/hub/upstream"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// Server is one running hub.
type Server struct {
	cfg    config.Config
	log    *slog.Logger
	Store  store.Store
	Keys   *auth.Cache
	Router *router.Router
	Agents *agents.Registry
	Locals *backend.Set
	GW     *gateway.Gateway
	Tools  *tools.Registry
	Audit  *audit.Recorder
	RBAC   *rbac.Authorizer
	// Upstream sends routed calls to backends within their bounds ([calls], docs/LIMITS.md).
	Upstream *upstream.Upstream
	// Metrics are served at /metrics.
	Metrics *metrics.Metrics
	// Releases serves agent releases for self-update ([releases] in hub.toml).
	Releases *releases.Handler
	API      http.Handler     // the REST API at /api/v1/
	Console  *console.Console // the web console at /ui; nil when ui.disabled
	// OAuth is the authorization server of /mcp ([oauth], docs/OAUTH.md); nil when disabled.
	OAuth      *oauth.Server
	sessions   *auth.Authenticator // password logins: the REST API's and the OAuth sign-in page's
	stored     storedPolicy        // the policy setting last applied (no policy_file)
	policyFile *policy.File        // the rules of policy_file as loaded at start, if set
	mux        *http.ServeMux
	conns      *connlimit.Limiter // the open connections, capped ([limits])
	rates      *ratelimit.Limiter // requests per key and application ([limits])
	jwtSecret  []byte             // signs access and refresh tokens
	masterKey  *masterkey.Key     // seals secrets at rest; nil without env and data dir
	draining   atomic.Bool        // the hub drains: refuse what starts new work here (drain.go)
	backendsMu sync.Mutex         // one change to the hub-local backends at a time (API, syncBackends)
	localsPub  sync.Mutex         // one publication of the hub-local backends at a time (publishLocals)
	cluster    *cluster.Node      // [cluster]: several hubs on one database; nil without
	seen       *seenRecorder      // agents' last-seen times (lastseen.go)
	tracer     *tracing.Tracer    // [tracing]: spans of every call; nil when off
}

// publishLocals gives the router the current snapshots of the hub-local backends. The
// snapshots are taken and published under one lock: two backends that change at once (both
// becoming ready at start) would otherwise each take the set's snapshots and publish them in
// either order, and the older set published last would hide the other backend's change
// until its next one (CI saw a hub-local tool never routed).
func (s *Server) publishLocals() {
	s.localsPub.Lock()
	defer s.localsPub.Unlock()
	s.Router.Set("", s.Locals.Snapshots())
}

// New opens the store (running migrations) and assembles the hub. Close the store with Run's end.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	var pol *policy.Policy
	var polFile *policy.File
	if cfg.PolicyFile != "" {
		var err error
		if polFile, pol, err = loadPolicyFile(cfg.PolicyFile); err != nil {
			return nil, err
		}
	}
	key, err := LoadMasterKey(cfg)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MasterKey: key, SealPlaintext: true})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Server{cfg: cfg, log: log, Store: st, mux: http.NewServeMux(), policyFile: polFile, masterKey: key}
	if s.jwtSecret, err = auth.LoadOrCreateJWTSecret(ctx, st, os.Getenv("JWT_SECRET")); err != nil {
		st.Close()
		return nil, fmt.Errorf("JWT secret: %w", err)
	}
	s.newFrontDoor()
	s.Keys = auth.NewCache(st, log)
	// Read in the background: lookups wait for it, /readyz does not (bench/coldstart:
	// 10,000 keys took a third of a cold start).
	s.Keys.RefreshInBackground(ctx, time.Second)
	tokens, err := auth.NewTokens(s.jwtSecret)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("JWT secret: %w", err)
	}
	s.sessions = auth.NewAuthenticator(s.Store, s.Keys, tokens, auth.LoginConfig{})
	if s.OAuth, err = s.newOAuth(s.sessions); err != nil {
		st.Close()
		return nil, err
	}
	s.Router = router.New(func(c router.Changes) {
		if s.GW != nil {
			s.GW.ListChanged(c)
		}
	})
	s.Locals, err = backend.NewSet(cfg.Backends, backend.Options{
		Logger: log.With("side", "hub"), ClientName: "mcp-gateway-hub", ClientVersion: version.Current(),
		Secrets:   s.secrets(),
		OnChange:  func(protocol.Backend) { s.publishLocals() },
		OnEvent:   func(b string, msg *jsonrpc.Request) { s.event("", b, msg) },
		OAuth:     oauthTokens{st: st, key: key},
		LoginHint: "mcp-gateway-hub backends login %s",
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("hub backends: %w", err)
	}
	if err := s.loadStoredBackends(ctx); err != nil {
		st.Close()
		return nil, err
	}
	s.Agents = agents.New(agents.Options{
		Logger: log, Keys: s.Keys, HubVersion: version.Current(),
		OnChange: s.agentChanged,
		OnSession: func(id, instance string) {
			s.seen.mark(id)
			if s.cluster != nil {
				s.cluster.Session(id, instance)
			}
		},
		OnEvent: func(id string, ev protocol.Event) { s.agentEvent(id, ev) },

		HandshakesPerSecond: cfg.Limits.AgentHandshakesPerSecond,
		MaxHandshakes:       cfg.Limits.MaxConcurrentAgentHandshakes,
	})
	s.seen = newSeenRecorder(st, s.connectedAgents, log.With("component", "agents"))
	if s.tracer, err = tracing.New(ctx, cfg.Tracing, tracing.Service{Name: "mcp-gateway-hub", Version: version.Current()}); err != nil {
		st.Close()
		return nil, err
	}
	if s.tracer != nil {
		log.Info("tracing on: spans of every call are exported over OTLP/HTTP")
	}
	s.GW = gateway.New(gateway.Config{
		MaxBodyBytes: cfg.MaxBodyBytes, PageSize: cfg.PageSize, AnonymousRole: cfg.AnonymousRole,
		AllowedOrigins: cfg.AllowedOrigins, AllowedHosts: cfg.Hosts(), ServerVersion: version.Current(),
		SessionIdle: cfg.Limits.SessionIdle.Duration, SessionIdleUnused: cfg.Limits.SessionIdleUnused.Duration,
		MaxSessionsPerKey: cfg.Limits.MaxSessionsPerKey, MaxListensPerKey: cfg.Limits.MaxListensPerKey,
		Rate: s.rates, SessionKey: s.sessionKey(), Tokens: s.gatewayTokens(),
		Surface: cfg.Discovery.Surface, SurfaceByApplication: cfg.Discovery.Applications, Tracer: s.tracer,
	}, s.Keys, s.Router, s.newUpstream(), log)
	if s.cluster, err = s.newCluster(); err != nil {
		st.Close()
		return nil, err
	}
	if err := s.govern(ctx); err != nil {
		st.Close()
		return nil, err
	}
	s.GW.SetPolicy(pol) // behind an atomic pointer: a reload may swap it later
	if err := s.reloadGroups(ctx); err != nil {
		s.Audit.Close()
		st.Close()
		return nil, err
	}
	s.logAnonymous()
	if cfg.Hosts() == nil {
		log.Warn("allowed_hosts is empty and the hub listens on "+cfg.Listen+", not loopback: it answers any Host,"+
			" so a web page whose name resolves to this hub (DNS rebinding) reaches /mcp, /api/v1 and /agent/ws;"+
			" list the names clients use in allowed_hosts", "listen", cfg.Listen)
	}
	if pol != nil {
		log.Info("policy loaded", "file", cfg.PolicyFile, "rules", pol.Len(), "default", pol.Default())
	}
	if s.Releases, err = s.newReleases(); err != nil {
		s.Audit.Close()
		st.Close()
		return nil, err
	}
	if s.API, err = s.newAPI(ctx); err != nil {
		s.Audit.Close()
		st.Close()
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.GW.Mount(s.mux)
	if s.OAuth != nil {
		s.OAuth.Mount(s.mux, func(h http.Handler) http.Handler { return s.hostChecked(h, refusePlain) })
	}
	s.mux.Handle("GET /agent/ws", s.hostChecked(s.Agents, refusePlain))
	if s.cluster != nil {
		// No Host check: hubs call each other by the address in [cluster] url, and the
		// cluster credential is what a browser (DNS rebinding) cannot have.
		s.mux.Handle(cluster.CallPath, s.cluster)
	}
	s.mux.Handle(api.Prefix+"/", s.hostChecked(s.API, refuseAPI))
	if s.Console != nil {
		s.mux.Handle(console.Prefix, s.hostChecked(s.Console, refusePlain))
		s.mux.Handle(console.Prefix+"/", s.hostChecked(s.Console, refusePlain))
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.metricsHandler())
	s.mux.Handle("GET "+releases.Prefix, s.hostChecked(s.Releases, refusePlain)) // more specific than the REST API's /api/v1/
	// Once: installConfig checks the release key and warns about a bad one.
	ic := s.installConfig()
	s.mux.Handle("GET /install.sh", install.Handler(install.Shell, ic))
	s.mux.Handle("GET /install.ps1", install.Handler(install.PowerShell, ic))
}

// readyz answers whether the hub can serve: it is not draining and its store answers. It
// needs no credential (load balancers and orchestrators probe it), so a failure is answered
// in general terms; the store's error names the database host, user and name, and goes to
// the log only.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.Store.ListUsers(ctx); err != nil {
		s.log.Warn("readyz: not ready: the store does not answer", "err", err)
		http.Error(w, "store unavailable (details in the hub's log)", http.StatusServiceUnavailable)
		return
	}
	if err := s.Audit.Ready(); err != nil { // calls are refused: say why
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

// logAnonymous says at start what anonymous_role grants, to whom, and what it cannot tell
// apart, so that an operator who turned it on reads it in the service log.
func (s *Server) logAnonymous() {
	role := s.cfg.AnonymousRole
	if role == "" {
		return
	}
	r, ok := s.RBAC.Role(role)
	if !ok {
		s.log.Error("anonymous_role names no role: requests without a key are refused by RBAC", "anonymous_role", role)
		return
	}
	s.log.Warn("anonymous access is on: /mcp requests without a key act as role "+role+
		" when the connection's peer is a loopback address, the Host is a loopback name, no forwarding header"+
		" (Forwarded, X-Forwarded-*, X-Real-IP, Via, …) is present and no non-loopback web page (Origin) sent it;"+
		" /api/v1 always needs a key. A TCP forwarder on this machine (ssh -R, socat, kubectl port-forward,"+
		" a tunnel client) makes remote clients look local: run none while this is on",
		"anonymous_role", role, "permissions", r.Permissions, "tool_allow", r.ToolAllow, "tool_deny", r.ToolDeny)
}

// Handler is the hub's HTTP handler.
func (s *Server) Handler() http.Handler { return s.drainGate(s.mux) }

// Run serves on ln until ctx ends, then drains (drain_timeout, drain.go), shuts down within
// 10 s more and closes the store.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	defer s.Store.Close()
	// The hub's loops (hub-local backends, sessions, keys, audit, policy) outlive ctx: they
	// serve the calls that finish while the hub drains, and stop after it.
	loops, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	srv := s.httpServer()
	ln = s.conns.Listen(ln)
	var wg sync.WaitGroup
	runs := []func(context.Context) error{s.Keys.Run, s.Locals.Run, s.GW.Run, s.Tools.Run, s.Audit.Run, s.RBAC.Run, s.rates.Run, s.policySync, s.dropRevokedAgents, s.seen.Run}
	if s.cluster != nil {
		runs = append(runs, s.cluster.Run)
	}
	if s.OAuth != nil {
		runs = append(runs, s.OAuth.Run)
	}
	for _, run := range runs {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(loops) }()
	}
	wg.Go(func() { _ = s.listenChanges(loops) }) // several hubs on PostgreSQL: changes.go
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	if err == nil && s.cfg.DrainTimeout.Duration > 0 {
		s.drain(srv, s.cfg.DrainTimeout.Duration)
	}
	cancel()
	s.Agents.Close()
	shut, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	_ = srv.Shutdown(shut)
	wg.Wait()
	if terr := s.tracer.Shutdown(context.Background()); terr != nil {
		s.log.Warn("tracing: spans not exported", "err", terr)
	}
	if cerr := s.Audit.Close(); cerr != nil {
		s.log.Error("audit trail: final flush failed; the journal keeps the events for the next start", "err", cerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// RevocationCheck is how often connected agents' keys are checked against the key cache
// (which itself reloads from the store every 30 s, so other hubs' and the CLI's writes arrive).
const RevocationCheck = 10 * time.Second

// dropRevokedAgents disconnects agents whose key was revoked or expired, and ends the MCP
// streams of changed callers, until ctx ends.
func (s *Server) dropRevokedAgents(ctx context.Context) error {
	t := time.NewTicker(RevocationCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.DropRevokedAgents()
			s.endStaleStreams() // also what other hubs and the CLI changed
		}
	}
}

// DropRevokedAgents disconnects, once, every agent whose key is no longer active.
func (s *Server) DropRevokedAgents() {
	for _, a := range s.Agents.List() {
		if !s.Keys.KeyActive(a.KeyID) {
			s.log.Warn("disconnecting agent: its key was revoked or expired", "agent", a.ID, "key", a.KeyID)
			s.Agents.Refuse(a.ID, protocol.Refusal{Code: protocol.RefuseRevoked, Message: "this agent's key was revoked or has expired"})
		}
	}
}

func (s *Server) agentChanged(id string, backends []protocol.Backend, connected bool) {
	if !connected {
		s.seen.mark(id)
	}
	if s.cluster != nil { // it routes what another hub holds of the agent when it leaves here
		if connected {
			s.GW.AgentReady(id, s.Agents.Incarnation(id), backends) // as below
		}
		s.cluster.Changed(id, backends, connected)
		return
	}
	if !connected {
		s.Router.Remove(id)
		s.GW.AgentGone(id)
		return
	}
	s.GW.AgentBack(id)
	// Before the router shows the backends: a client's subscription is then made in, and
	// counted for, the agent's current process (the renewal runs in the background).
	s.GW.AgentReady(id, s.Agents.Incarnation(id), backends)
	s.Router.Set(id, backends)
}

// connectedAgents are the ids of the agents whose tunnels this hub holds.
func (s *Server) connectedAgents() []string {
	list := s.Agents.List()
	ids := make([]string, len(list))
	for i, a := range list {
		ids[i] = a.ID
	}
	return ids
}

func (s *Server) agentEvent(id string, ev protocol.Event) {
	msg, err := jsonrpc.DecodeMessage(ev.Message)
	if req, ok := msg.(*jsonrpc.Request); err == nil && ok {
		s.event(id, ev.Backend, req)
	}
}

// event routes a backend notification that belongs to no call.
func (s *Server) event(agent, backendName string, msg *jsonrpc.Request) {
	if msg.Method != "notifications/resources/updated" {
		return
	}
	var p struct {
		URI string `json:"uri"`
	}
	if json.Unmarshal(msg.Params, &p) != nil || p.URI == "" {
		return
	}
	exposed := s.Router.Table().ExposeURI(router.Target{Agent: agent, Backend: backendName, Name: p.URI})
	s.GW.ResourceUpdated(exposed)
	if agent != "" {
		s.shareResourceUpdated(agent, backendName, p.URI)
	}
}
