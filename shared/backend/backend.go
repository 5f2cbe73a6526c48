// Package backend runs one MCP server for the gateway: its client session over stdio,
// streamable HTTP or SSE, a supervisor that restarts it, and the routing of calls, progress
// and server→client requests. The agent and the hub (for hub-local backends) both use it.
package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// Sentinels for callers to branch on. The errors returned wrap them and name the backend.
var (
	ErrNotReady       = errors.New("backend not ready")
	ErrGone           = errors.New("backend gone during the call")
	ErrUnknownBackend = errors.New("unknown backend")
)

// Sink receives what a backend sends for one call while the call runs. Both methods are
// called from the backend's reader (Notify) or a per-request goroutine (Request): Notify must
// not block for long, and Request must return when ctx is done.
type Sink interface {
	// Notify delivers a notification for this call: progress with the caller's token
	// restored, or a log message.
	Notify(msg *jsonrpc.Request)
	// Request asks the real client a server→client request (sampling/createMessage,
	// elicitation/create, roots/list). The returned response's ID is ignored.
	Request(ctx context.Context, req *jsonrpc.Request) (*jsonrpc.Response, error)
}

// Options are the dependencies and tunables shared by backends. The zero value works.
type Options struct {
	Logger *slog.Logger
	// OnChange receives every new snapshot (state or lists changed), in order. It must not block.
	OnChange func(protocol.Backend)
	// OnEvent receives notifications that belong to no call, such as
	// notifications/resources/updated. It must not block.
	OnEvent func(backend string, msg *jsonrpc.Request)
	// ClientName and ClientVersion are the clientInfo sent in initialize.
	ClientName, ClientVersion string
	// Secrets are values that must never come back out of a backend: the hub's own secrets
	// (JWT secret, master key, database password). Like the secrets in a backend's URL they
	// are replaced in its errors, its state and its log lines (its stderr among them), so a
	// server that prints one does not hand it to whoever reads its health or the logs.
	// Values shorter than 4 bytes are ignored.
	Secrets []string
	// Restart backoff: full jitter, doubling from BackoffBase up to BackoffCap, reset once a
	// session stayed up StableAfter. Defaults 1s, 30s, 60s.
	BackoffBase, BackoffCap, StableAfter time.Duration
	// DiscoverTimeout bounds the server/discover probe: a legacy server that ignores an
	// unknown method before initialize costs this much once, then the backend remembers.
	// Default 10 s.
	DiscoverTimeout time.Duration

	// OAuth keeps the credentials of servers that require authorization (http and sse
	// backends without an Authorization header of their own). Nil: no OAuth; a server's 401
	// is an ordinary failure.
	OAuth oauth.Store
	// LoginHint is the command an operator runs to log in, with %s for the backend's name,
	// shown in the needs_login state (like "mcp-gateway-agent backends login %s").
	LoginHint string
	// LoginPoll is how often a backend that needs a login looks for new credentials in
	// OAuth (written by another process); Wake makes it look at once. Default 2 s.
	LoginPoll time.Duration
	// Authorize, when set, logs in on the spot when a server refuses (for interactive
	// one-shot clients, such as the conformance client); the gateway leaves it nil.
	Authorize func(cfg Config) oauth.Authorizer
	// OAuthHTTP is the HTTP client for token endpoints; nil: http.DefaultClient.
	OAuthHTTP *http.Client
	// Now is the clock of token expiry; nil: time.Now (tests move it).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ClientName == "" {
		o.ClientName = "mcp-gateway"
	}
	if o.ClientVersion == "" {
		o.ClientVersion = version.Current()
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = time.Second
	}
	if o.BackoffCap <= 0 {
		o.BackoffCap = 30 * time.Second
	}
	if o.BackoffCap < o.BackoffBase {
		o.BackoffCap = o.BackoffBase
	}
	if o.DiscoverTimeout <= 0 {
		o.DiscoverTimeout = 10 * time.Second
	}
	if o.StableAfter <= 0 {
		o.StableAfter = time.Minute
	}
	if o.LoginPoll <= 0 {
		o.LoginPoll = 2 * time.Second
	}
	if o.LoginHint == "" {
		o.LoginHint = "backends login %s"
	}
	return o
}

// Backend is one supervised MCP server. Create it with New, start it with Run, and call it
// from any number of goroutines.
type Backend struct {
	cfg  Config
	opts Options
	log  *slog.Logger

	snap    atomic.Pointer[protocol.Backend] // what Snapshot returns
	sess    atomic.Pointer[session]          // the ready session, nil when not ready
	nextID  atomic.Int64                     // request ids and progress tokens, unique per backend
	running atomic.Bool
	// legacyOnly: the server/discover probe cost a session or timed out; initialize only.
	legacyOnly atomic.Bool

	httpBase *http.Transport // http and sse: one connection pool across restarts
	auth     *oauth.Source   // http and sse with Options.OAuth: the access token
	wake     chan struct{}   // Wake: new credentials to try
	secrets  []string        // of the URL and Options.Secrets, kept out of errors and logs (scrub)
	// hubSecrets are Options.Secrets alone, kept out of the published lists too (a URL's
	// short query values would garble tool descriptions).
	hubSecrets []string

	pubMu sync.Mutex // serialises snapshot updates and OnChange calls

	// Resource subscriptions of a modern backend, counted across clients and kept across
	// reconnections (see listening).
	subsMu sync.Mutex
	subs   map[string]int

	// Counters read by tests and useful in logs.
	relists atomic.Int64 // lists fetched again after a list_changed notification
	strays  atomic.Int64 // responses that matched no call (late, after a cancel)
	lines   lineStats    // stdio lines that were not JSON-RPC or over the size limit

	// clientInfo is opts' ClientName and ClientVersion as the JSON object a modern request's
	// _meta carries, encoded once instead of on every call.
	clientInfo json.RawMessage
}

// New returns a backend in state starting. cfg should have passed Validate.
func New(cfg Config, opts Options) *Backend {
	opts = opts.withDefaults()
	b := &Backend{cfg: cfg, opts: opts, log: opts.Logger.With("backend", cfg.Name), wake: make(chan struct{}, 1)}
	b.clientInfo, _ = json.Marshal(map[string]string{"name": opts.ClientName, "version": opts.ClientVersion})
	if opts.OAuth != nil && cfg.usesOAuth() {
		b.auth = oauth.NewSource(oauth.SourceConfig{Backend: cfg.Name, ServerURL: cfg.URL, Store: opts.OAuth,
			Client: opts.OAuthHTTP, Now: opts.Now})
	}
	for _, s := range opts.Secrets {
		if len(s) >= minSecret {
			b.hubSecrets = append(b.hubSecrets, s)
		}
	}
	b.secrets = slices.Clone(b.hubSecrets)
	if cfg.Transport == TransportHTTP || cfg.Transport == TransportSSE {
		b.secrets = append(b.secrets, urlSecrets(cfg.URL)...)
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			b.httpBase = t.Clone()
		} else {
			b.httpBase = &http.Transport{Proxy: http.ProxyFromEnvironment}
		}
	}
	if len(b.secrets) > 0 {
		b.log = slog.New(scrubHandler{Handler: b.log.Handler(), secrets: b.secrets})
	}
	b.snap.Store(&protocol.Backend{
		Name: cfg.Name, Transport: cfg.Transport, Naming: cfg.Naming, State: protocol.StateStarting,
		Limits: cfg.Limits(),
	})
	return b
}

// Wake tells a backend that needs a login that new credentials were stored.
func (b *Backend) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Name returns the configured name.
func (b *Backend) Name() string { return b.cfg.Name }

// Config returns the configuration the backend was made with; its maps and slices are
// shared and must not be modified.
func (b *Backend) Config() Config { return b.cfg }

// Snapshot returns the current state and lists. It is one atomic load; the slices inside are
// shared and must not be modified. While the backend is failed or restarting, the lists of
// its last ready session are kept, so that exposed tools do not flicker during a restart.
func (b *Backend) Snapshot() protocol.Backend { return *b.snap.Load() }

// Call sends the call's request to the server and waits for its response. The caller's ID
// (and _meta.progressToken) are replaced by backend-unique ones on the way in and restored on
// the way out. An error response from the server is a Response with Error, not a Go error.
// A notification (no ID) is sent and Call returns nil, nil.
func (b *Backend) Call(ctx context.Context, c *Call) (*jsonrpc.Response, error) {
	s := b.sess.Load()
	if s == nil {
		return nil, b.notReady()
	}
	resp, err := s.do(ctx, c)
	if err != nil && b.needsLogin() {
		// The token was refused and could not be refreshed: the supervisor shows needs_login.
		s.fail(fmt.Errorf("%w: %s", oauth.ErrNeedsLogin, b.auth.NeedsLogin()))
		err = &stateError{sentinel: ErrNotReady, cause: err,
			msg: fmt.Sprintf("backend %q needs an OAuth login (%s): run %s", b.cfg.Name, b.auth.NeedsLogin(), fmt.Sprintf(b.opts.LoginHint, b.cfg.Name))}
	}
	return resp, b.scrub(err)
}

func (b *Backend) notReady() error {
	snap := b.snap.Load()
	state := snap.State
	if state == protocol.StateReady {
		// The session ended a moment ago and the supervisor has not published it yet.
		state = "its session just ended; restarting"
	}
	msg := fmt.Sprintf("backend %q is not ready (%s", b.cfg.Name, state)
	if snap.Error != "" {
		msg += ": " + snap.Error
	}
	return &stateError{sentinel: ErrNotReady, msg: msg + ")"}
}

// stateError carries a readable message naming the backend and matches its sentinel
// (if it has one).
type stateError struct {
	sentinel error
	msg      string
	cause    error
}

func (e *stateError) Error() string        { return e.msg }
func (e *stateError) Is(target error) bool { return e.sentinel != nil && target == e.sentinel }
func (e *stateError) Unwrap() error        { return e.cause }

// publish applies change to a copy of the snapshot, stores it and reports it. If s is not
// nil the change is dropped unless s is still the backend's current session.
func (b *Backend) publish(s *session, change func(*protocol.Backend)) {
	b.pubMu.Lock()
	defer b.pubMu.Unlock()
	if s != nil && b.sess.Load() != s {
		return
	}
	next := *b.snap.Load()
	change(&next)
	b.scrubSnapshot(&next)
	b.snap.Store(&next)
	if b.opts.OnChange != nil {
		b.opts.OnChange(next)
	}
}

func (b *Backend) event(msg *jsonrpc.Request) {
	if b.opts.OnEvent != nil {
		b.opts.OnEvent(b.cfg.Name, msg)
	}
}
