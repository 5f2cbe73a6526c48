// Package upstream sends a routed call to its backend — hub-local, or behind an agent's
// tunnel — within that backend's bounds: a deadline, a concurrency cap with a bounded wait
// queue, and a circuit breaker. docs/LIMITS.md explains the settings.
package upstream

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/hub/gateway"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Limits bound the calls to one backend.
type Limits struct {
	Timeout       time.Duration // deadline of one call, queue wait included
	MaxConcurrent int           // calls running at once
	MaxQueue      int           // calls waiting for a slot; beyond it a call fails at once
}

// with returns l with the fields the backend sets itself taking precedence.
func (l Limits) with(own *protocol.Limits) Limits {
	if own == nil {
		return l
	}
	if own.TimeoutMs > 0 {
		l.Timeout = time.Duration(own.TimeoutMs) * time.Millisecond
	}
	if own.MaxConcurrent > 0 {
		l.MaxConcurrent = own.MaxConcurrent
	}
	if own.MaxQueue > 0 {
		l.MaxQueue = own.MaxQueue
	}
	return l
}

// Config holds the hub-wide settings ([calls] in hub.toml). Zero fields take the defaults.
type Config struct {
	// Defaults apply to every backend that does not set its own. Defaults 5 min, 64, 256.
	Defaults Limits
	// BreakerFailures consecutive failures open a backend's breaker. Default 5.
	BreakerFailures int
	// BreakerCooldown is how long an open breaker refuses calls before one probe. Default 30 s.
	BreakerCooldown time.Duration
}

func (c *Config) defaults() {
	if c.Defaults.Timeout <= 0 {
		c.Defaults.Timeout = 5 * time.Minute
	}
	if c.Defaults.MaxConcurrent <= 0 {
		c.Defaults.MaxConcurrent = 64
	}
	if c.Defaults.MaxQueue < 0 {
		c.Defaults.MaxQueue = 0
	}
	if c.BreakerFailures <= 0 {
		c.BreakerFailures = 5
	}
	if c.BreakerCooldown <= 0 {
		c.BreakerCooldown = 30 * time.Second
	}
}

// Upstream is the hub's gateway.Upstream.
type Upstream struct {
	cfg    Config
	locals *backend.Set
	agents *agents.Registry
	log    *slog.Logger

	remote Remote // agents held by other hubs of a cluster; nil without [cluster]

	// InFlight counts the calls running through Call, and those a cluster's peers forward
	// to this hub's tunnels when they count them in.
	InFlight *InFlight

	mu    sync.RWMutex  // read-locked on every call: gates are created once per backend
	gates map[key]*gate // per backend, created at its first call and kept (breaker history)
}

var _ gateway.Upstream = (*Upstream)(nil)

// New returns an upstream over the hub-local backends and the connected agents.
func New(cfg Config, locals *backend.Set, reg *agents.Registry, log *slog.Logger) *Upstream {
	cfg.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Upstream{cfg: cfg, locals: locals, agents: reg, log: log, gates: map[key]*gate{}, InFlight: newInFlight()}
}

// Remote reaches the agents other hubs of a cluster hold (hub/cluster): a call for an
// agent this hub has no tunnel to goes there, within this hub's bounds.
type Remote interface {
	// Call forwards the call to the hub holding the agent; an agent no hub holds gives an
	// error matching agents.ErrAgentGone.
	Call(ctx context.Context, agentID, backendName string, c *backend.Call) (*jsonrpc.Response, error)
	// Backend is the agent's backend as its holder last published it.
	Backend(agentID, name string) (protocol.Backend, bool)
}

// SetRemote makes calls for agents not connected here go to r. Call it before serving.
func (u *Upstream) SetRemote(r Remote) { u.remote = r }

// key names one backend: agent "" for a hub-local one.
type key struct{ agent, backend string }

// Call runs the call on the target's backend within its bounds. A bound that ends the call
// gives an error wrapping a *jsonrpc.Error (mcp.CodeCallTimeout, CodeBackendBusy,
// CodeCircuitOpen) for the client; the backend's own answers, errors included, come back as
// the response.
func (u *Upstream) Call(ctx context.Context, t router.Target, c *backend.Call) (*jsonrpc.Response, error) {
	defer u.InFlight.End(u.InFlight.Begin(t.Agent))
	req := c.Request
	if !req.IsCall() { // a notification waits for nothing: nothing to bound
		return u.send(ctx, t, c)
	}
	k := key{t.Agent, t.Backend}
	lim := u.limits(k)
	g := u.gate(k)
	probe, retry, ok := g.admit(time.Now())
	if !ok {
		g.rejectedOpen.Add(1)
		return nil, circuitOpen(k, g, retry)
	}
	callCtx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	if err := g.acquire(callCtx, lim); err != nil {
		g.settle(probe, neutral, "", time.Now())
		return nil, u.notAdmitted(ctx, k, g, lim, err)
	}
	resp, err := u.send(callCtx, t, c)
	g.release()
	out, cause := classify(ctx, err), errText(err)
	if out == succeeded && k.agent != "" {
		if out = agentFailure(resp); out == failed {
			cause = resp.Error.Error()
		}
	}
	g.settle(probe, out, cause, time.Now())
	g.countBadAnswer(resp)
	if out == timedOut {
		g.timedOut.Add(1)
		u.log.Warn("call timed out", "agent", k.agent, "backend", k.backend, "method", req.Method, "timeout", lim.Timeout)
		return nil, timeout(k, lim, false)
	}
	return resp, err
}

// notAdmitted explains why a call got no slot: the queue was full, its deadline passed while
// it waited, or its client gave up.
func (u *Upstream) notAdmitted(ctx context.Context, k key, g *gate, lim Limits, err error) error {
	switch {
	case errors.Is(err, errBusy):
		g.rejectedBusy.Add(1)
		return busy(k, lim)
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		g.timedOut.Add(1)
		return timeout(k, lim, true)
	}
}

func (u *Upstream) send(ctx context.Context, t router.Target, c *backend.Call) (*jsonrpc.Response, error) {
	if t.Agent == "" {
		return u.locals.Call(ctx, t.Backend, c)
	}
	if u.remote != nil && !u.agents.Connected(t.Agent) {
		return u.remote.Call(ctx, t.Agent, t.Backend, c)
	}
	return u.agents.Call(ctx, t.Agent, t.Backend, c)
}

// limits are the hub's defaults overridden by what the backend sets: a hub-local one in
// its [[backends]] entry, an agent's in its snapshot (the agent's config.toml).
func (u *Upstream) limits(k key) Limits {
	var own *protocol.Limits
	if k.agent == "" {
		if b, ok := u.locals.Get(k.backend); ok {
			own = b.Snapshot().Limits
		}
	} else if b, ok := u.agents.Backend(k.agent, k.backend); ok {
		own = b.Limits
	} else if u.remote != nil {
		if b, ok := u.remote.Backend(k.agent, k.backend); ok {
			own = b.Limits
		}
	}
	return u.cfg.Defaults.with(own)
}

func (u *Upstream) gate(k key) *gate {
	u.mu.RLock()
	g := u.gates[k]
	u.mu.RUnlock()
	if g != nil {
		return g
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if g = u.gates[k]; g == nil {
		g = &gate{br: breaker{threshold: u.cfg.BreakerFailures, cooldown: u.cfg.BreakerCooldown}}
		u.gates[k] = g
	}
	return g
}

// outcome is what a finished call tells the breaker.
type outcome int

const (
	succeeded outcome = iota // the backend answered (its answer may be an error: still healthy)
	failed                   // transport failure, backend not ready or gone, agent gone
	timedOut                 // the call's deadline passed
	neutral                  // the client gave up, or the call never reached the backend
)

// classify judges a call from its error; ctx is the client's, without the call's deadline.
func classify(ctx context.Context, err error) outcome {
	switch {
	case err == nil:
		return succeeded
	case ctx.Err() != nil:
		return neutral
	case errors.Is(err, context.DeadlineExceeded):
		return timedOut
	case errors.Is(err, backend.ErrUnknownBackend):
		return neutral // removed since it was routed: nothing about its health
	default:
		return failed
	}
}

// agentFailure judges an agent's answer: an error result the agent made itself because its
// backend gave no answer (protocol.CallFailure in data) is a failure, not the backend's answer.
func agentFailure(resp *jsonrpc.Response) outcome {
	var we *jsonrpc.Error
	if resp == nil || !errors.As(resp.Error, &we) || !bytes.Contains(we.Data, []byte(`"failure"`)) {
		return succeeded
	}
	var f protocol.CallFailure
	if json.Unmarshal(we.Data, &f) != nil {
		return succeeded
	}
	switch f.Failure {
	case protocol.FailureUnavailable, protocol.FailureInternal:
		return failed
	case protocol.FailureUnknownBackend:
		return neutral
	}
	return succeeded
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Stats returns every backend's bounds state that has seen a call, sorted by agent and name.
func (u *Upstream) Stats() []Status {
	u.mu.RLock()
	keys := make([]key, 0, len(u.gates))
	for k := range u.gates {
		keys = append(keys, k)
	}
	u.mu.RUnlock()
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.agent, b.agent), cmp.Compare(a.backend, b.backend))
	})
	out := make([]Status, 0, len(keys))
	for _, k := range keys {
		st, _ := u.Status(k.agent, k.backend)
		out = append(out, st)
	}
	return out
}

// Status returns one backend's bounds state; false if it has not been called yet (then its
// breaker is closed and nothing runs).
func (u *Upstream) Status(agent, backendName string) (Status, bool) {
	k := key{agent, backendName}
	u.mu.RLock()
	g := u.gates[k]
	u.mu.RUnlock()
	if g == nil {
		return Status{Agent: agent, Backend: backendName, Breaker: BreakerClosed}, false
	}
	return g.status(k, time.Now()), true
}
