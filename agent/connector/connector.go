// Package connector is the agent's side of the tunnel: it runs the local backends, dials the
// hub, introduces itself (hello), reports backend changes, serves the hub's call streams, and
// reconnects with backoff for as long as it runs. hub/agents is the mirror image.
package connector

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// Options are the connector's dependencies and tunables. The zero value works.
type Options struct {
	Logger  *slog.Logger
	Version string  // reported in hello; default version.Current()
	Backoff Backoff // reconnect backoff; zero fields take the defaults (1 s, 30 s, reset after 60 s)

	// RefusedRetry is the wait after a refusal that retrying soon cannot fix (wrong agent
	// id, revoked or unknown key, unsupported version). The agent keeps trying at this
	// slow pace so that a fix at the hub is picked up without a restart. Default 5 min.
	RefusedRetry time.Duration
	// HandshakeTimeout bounds dialing and the hello/welcome exchange. Default 30 s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds the write of one frame; expiry closes the session. Default 60 s.
	WriteTimeout time.Duration
	// Tunnel tunes keepalive and windows; zero fields take the tunnel's defaults.
	Tunnel tunnel.Config
	// Status receives the connection state, backend changes and every call, for the TUI
	// and the control socket. Nil turns status tracking off.
	Status *status.Tracker
	// OAuth keeps the backends' OAuth credentials (the agent's sealed token file); nil: a
	// backend's 401 is an ordinary failure.
	OAuth oauth.Store
	// LoginPoll is how often a backend that needs a login looks for new credentials; 0: 2 s.
	LoginPoll time.Duration
	// Tracer records each call's spans (docs/TRACING.md); nil: tracing is off.
	Tracer *tracing.Tracer
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		o.Version = version.Current()
	}
	o.Backoff = o.Backoff.withDefaults()
	if o.RefusedRetry <= 0 {
		o.RefusedRetry = 5 * time.Minute
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 30 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 60 * time.Second
	}
	if o.Tunnel.Logger == nil {
		o.Tunnel.Logger = o.Logger.With("component", "tunnel")
	}
	return o
}

// Agent keeps one agent connected to its hub.
type Agent struct {
	cfg    config.Agent
	opts   Options
	log    *slog.Logger
	out    *outbox
	set    *backend.Set
	calls  callServer
	header http.Header
	st     *status.Tracker
	kick   chan struct{} // capacity 1: Reconnect asked for a connection now
	// instance is sent in every hello: the hub tells this process's reconnections from
	// another process using the same agent id.
	instance string
}

// New prepares an agent from a validated config. Nothing starts before Run.
func New(cfg *config.Config, opts Options) (*Agent, error) {
	opts = opts.withDefaults()
	log := opts.Logger.With("agent", cfg.Agent.AgentID)
	a := &Agent{cfg: cfg.Agent, opts: opts, log: log, out: newOutbox(log), st: opts.Status, kick: make(chan struct{}, 1),
		instance: newInstance()}
	onChange := a.out.backendChanged
	if a.st != nil {
		onChange = func(b protocol.Backend) {
			a.out.backendChanged(b)
			a.st.Backend(b)
		}
	}
	set, err := backend.NewSet(cfg.Backends, backend.Options{
		Logger:        opts.Logger,
		OnChange:      onChange,
		OnEvent:       a.out.backendEvent,
		ClientName:    "mcp-gateway-agent",
		ClientVersion: opts.Version,
		OAuth:         opts.OAuth,
		LoginPoll:     opts.LoginPoll,
		LoginHint:     "mcp-gateway-agent backends login %s",
	})
	if err != nil {
		return nil, fmt.Errorf("backends: %w", err)
	}
	a.set = set
	for _, b := range set.Snapshots() {
		a.st.Backend(b)
	}
	a.calls = callServer{
		agentID: cfg.Agent.AgentID, backends: set, log: log, status: opts.Status, tracer: opts.Tracer,
		writeTimeout: opts.WriteTimeout, firstFrame: opts.HandshakeTimeout, linger: 5 * time.Second,
	}
	a.header = http.Header{}
	a.header.Set("Authorization", "Bearer "+cfg.Agent.APIKey)
	a.header.Set(AgentIDHeader, cfg.Agent.AgentID)
	return a, nil
}

// AgentIDHeader carries the agent id on the upgrade request, for the hub's logs; the hello
// is what counts.
const AgentIDHeader = "X-Agent-Id"

// Run starts the backends and keeps the tunnel up until ctx ends. It returns only then: a
// failed connection, even the first, is retried. When Run returns, the backend processes
// have been stopped.
func (a *Agent) Run(ctx context.Context) error {
	if a.cfg.TLSSkipVerify {
		a.log.Warn("tls_skip_verify is on: the hub's certificate is not checked")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var setErr error
	wg.Go(func() { setErr = a.set.Run(ctx) })
	a.connectLoop(ctx)
	cancel()
	wg.Wait()
	if setErr != nil && !errors.Is(setErr, context.Canceled) {
		return fmt.Errorf("backends: %w", setErr)
	}
	return nil
}

// Reconnect asks for a connection attempt now: while the agent waits to retry, it stops
// waiting; while it is connected, it closes the connection and dials again at once (calls
// in flight on it fail). It never blocks.
func (a *Agent) Reconnect() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// errReconnectAsked ends a session on Reconnect.
var errReconnectAsked = errors.New("reconnect asked for")

func (a *Agent) connectLoop(ctx context.Context) {
	retries := 0
	for ctx.Err() == nil {
		a.st.Connecting()
		up, err := a.session(ctx)
		if ctx.Err() != nil {
			return
		}
		var refused *refusedError
		if up > 0 && errors.As(err, &refused) && refused.Code == protocol.RefuseHubClosing {
			// A welcomed connection ended by a draining hub is no failure to back off from:
			// come back within Base, jittered, however often hubs were restarted lately.
			retries = 0
		}
		var wait time.Duration
		wait, retries = a.opts.Backoff.After(retries, up)
		wait, refusal := a.logFailure(err, up, wait)
		reason := "connection ended"
		if err != nil {
			reason = err.Error()
		}
		a.st.Disconnected(reason, refusal, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// newInstance returns a random id for this agent process.
func newInstance() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
