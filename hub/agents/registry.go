// Package agents is the hub's side of the tunnel: it authenticates agents at /agent/ws, keeps
// one session per agent id (newest wins), reports their backends, and sends calls down their
// tunnels. agent/connector is the mirror image.
package agents

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// KeyLookup resolves a plaintext API key; *auth.Cache has it.
type KeyLookup interface {
	Lookup(plaintext string) (auth.Identity, bool)
}

var _ KeyLookup = (*auth.Cache)(nil)

// ErrAgentGone is matched by the errors of calls to an agent that is not connected or that
// disconnected during the call. The error's text names the agent.
var ErrAgentGone = errors.New("agent is not connected")

// AgentError says which agent is gone and why; errors.Is(err, ErrAgentGone) holds.
type AgentError struct {
	Agent  string
	Reason string // "is not connected", "disconnected during the call"
	Err    error  // the underlying cause, if any
}

func (e *AgentError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("agent %q %s: %v", e.Agent, e.Reason, e.Err)
	}
	return fmt.Sprintf("agent %q %s", e.Agent, e.Reason)
}

func (e *AgentError) Is(target error) bool { return target == ErrAgentGone }
func (e *AgentError) Unwrap() error        { return e.Err }

// Options are the registry's dependencies and tunables.
type Options struct {
	Logger     *slog.Logger
	Keys       KeyLookup // required
	HubVersion string    // sent in welcome

	// OnChange receives an agent's full backend list each time it connects or reports a
	// change (connected=true), and connected=false with nil backends once it is gone.
	// Calls are serialised and ordered across all agents. It must not block for long.
	OnChange func(agentID string, backends []protocol.Backend, connected bool)
	// OnSession, when set, is called as a new session of an agent registers (a connection,
	// not an update), just before its OnChange, in the same order. hub/cluster claims the
	// agent's presence from it.
	OnSession func(agentID, instance string)
	// OnEvent receives backend notifications that belong to no call. It must not block.
	OnEvent func(agentID string, ev protocol.Event)

	// Tunnel tunes keepalive and windows; zero fields take the tunnel's defaults.
	Tunnel tunnel.Config
	// HelloTimeout bounds the wait for the control stream and its hello. Default 10 s.
	HelloTimeout time.Duration
	// WriteTimeout bounds the write of one frame; expiry closes the agent's session. Default 60 s.
	WriteTimeout time.Duration
	// FightWindow is how long a sign of two agents sharing an id keeps the id marked as
	// fighting. Default FightWindow.
	FightWindow time.Duration

	// HandshakesPerSecond bounds how many agent handshakes start per second; MaxHandshakes
	// bounds how many are in progress at once (from the upgrade until the agent is registered
	// and welcomed). An agent over either limit gets 503 with Retry-After before its upgrade.
	// 0 turns a limit off ([limits] agent_handshakes_per_second,
	// max_concurrent_agent_handshakes).
	HandshakesPerSecond float64
	MaxHandshakes       int
}

// Two agents fight over an id when a connection replaces one from an agent process that
// itself replaced another within FightMemory (each hello names its process: instance), or,
// for agents too old to say, after more than FightThreshold replacements within
// FightWindow. An agent that was replaced waits its longest backoff (30 s by default)
// before it takes the id back, which the count alone never caught. A reconnection of the
// same process never counts.
const (
	FightThreshold = 3
	FightWindow    = time.Minute
	FightMemory    = 10 * time.Minute
)

// acceptBacklog is the hub's yamux accept backlog: an agent opens one stream, its control
// stream, and the hub opens every other (tunnel.DefaultAcceptBacklog would cost 2 KiB per agent).
const acceptBacklog = 4

// cancelTimeout bounds the best-effort Cancel and Refusal frames.
const cancelTimeout = 5 * time.Second

// Registry holds the connected agents. Serve it at GET /agent/ws.
type Registry struct {
	opts Options
	log  *slog.Logger
	up   *tunnel.Upgrader

	admit *admission
	busy  atomic.Int64 // handshakes deferred with 503 + Retry-After

	notifyMu sync.Mutex // held while a session registers, leaves, or reports: orders OnChange
	mu       sync.Mutex
	sessions map[string]*session
	history  map[string]*replacements
	closed   bool
	wg       sync.WaitGroup // registered sessions not yet unregistered
}

// New returns an empty registry.
func New(opts Options) *Registry {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HelloTimeout <= 0 {
		opts.HelloTimeout = 10 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 60 * time.Second
	}
	if opts.FightWindow <= 0 {
		opts.FightWindow = FightWindow
	}
	if opts.OnChange == nil {
		opts.OnChange = func(string, []protocol.Backend, bool) {}
	}
	if opts.OnEvent == nil {
		opts.OnEvent = func(string, protocol.Event) {}
	}
	log := opts.Logger.With("component", "agents")
	if opts.Tunnel.Logger == nil {
		opts.Tunnel.Logger = log
	}
	if opts.Tunnel.AcceptBacklog <= 0 {
		opts.Tunnel.AcceptBacklog = acceptBacklog
	}
	return &Registry{
		opts: opts, log: log, up: tunnel.NewUpgrader(opts.Tunnel),
		admit:    newAdmission(opts.HandshakesPerSecond, opts.MaxHandshakes),
		sessions: map[string]*session{}, history: map[string]*replacements{},
	}
}

// HandshakesDeferred counts the agent handshakes answered 503 with Retry-After because the
// handshake rate or cap was reached.
func (r *Registry) HandshakesDeferred() int64 { return r.busy.Load() }

// AgentInfo describes a connected agent for operators.
type AgentInfo struct {
	ID             string    `json:"id"`
	Version        string    `json:"version"`
	Capability     int       `json:"capability"`
	RemoteAddr     string    `json:"remoteAddr"`
	KeyID          string    `json:"keyId"`
	ConnectedSince time.Time `json:"connectedSince"`
	Backends       int       `json:"backends"`
	// Replacements counts how often a newer connection replaced an older one for this id
	// since the hub started; Fighting is set while two agent processes take the id from each
	// other (see FightThreshold), which means two agents share the id.
	Replacements int  `json:"replacements"`
	Fighting     bool `json:"fighting"`
}

// List returns the connected agents, sorted by id.
func (r *Registry) List() []AgentInfo {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]AgentInfo, 0, len(r.sessions))
	for id, s := range r.sessions {
		info := s.info()
		if h := r.history[id]; h != nil {
			info.Replacements = h.total
			info.Fighting = h.fighting(now, r.opts.FightWindow)
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b AgentInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Fighting returns how many agent ids are fighting now (two agents share each).
func (r *Registry) Fighting() int {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, h := range r.history {
		if h.fighting(now, r.opts.FightWindow) {
			n++
		}
	}
	return n
}

// Connected reports whether the agent has a session.
func (r *Registry) Connected(agentID string) bool { return r.current(agentID) != nil }

// Incarnation names the agent process behind the agent's current connection: its hello's
// instance, which stays the same while one process reconnects; for an agent that sends none
// (older than the field), the connection itself, since each one may be a new process. ""
// when the agent is not connected. Backends of one incarnation kept running across its
// reconnections, with everything their sessions hold (resource subscriptions).
func (r *Registry) Incarnation(agentID string) string {
	s := r.current(agentID)
	switch {
	case s == nil:
		return ""
	case s.hello.Instance != "":
		return "instance:" + s.hello.Instance
	}
	return fmt.Sprintf("connection:%s:%d", s.remote, s.since.UnixNano())
}

// Refuse sends the agent a refusal (for example protocol.RefuseRevoked after its key was
// revoked) and closes its session. It reports whether the agent was connected.
func (r *Registry) Refuse(agentID string, ref protocol.Refusal) bool {
	s := r.current(agentID)
	if s != nil {
		s.refuse(ref.Code, ref.Message)
	}
	return s != nil
}

// Close refuses every agent with RefuseHubClosing, closes their sessions, and returns once
// each has been reported gone. Later connections get 503.
func (r *Registry) Close() {
	r.mu.Lock()
	r.closed = true
	all := make([]*session, 0, len(r.sessions))
	for _, s := range r.sessions {
		all = append(all, s)
	}
	r.mu.Unlock()
	for _, s := range all {
		s.refuse(protocol.RefuseHubClosing, "the hub is shutting down")
	}
	r.wg.Wait()
}

func (r *Registry) current(agentID string) *session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions[agentID]
}
