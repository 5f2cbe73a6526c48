package agents

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// session is one agent's tunnel after a valid hello.
type session struct {
	id      string
	ys      *yamux.Session
	ctrl    *protocol.FrameWriter // the control stream, for welcome and refusals
	ctrlSt  *yamux.Stream         // the same stream, for writes with their own bound
	hello   protocol.Hello
	keyID   string
	remote  string
	since   time.Time
	timeout time.Duration     // per frame written on call streams
	reuse   bool              // the agent speaks lanes (capability 3)
	direct  *tunnel.DirectMux // the agent speaks direct streams (capability 4): lanes open there; else nil
	lanes   lanes
	opened  atomic.Int64 // call streams opened

	mu       sync.Mutex
	backends map[string]protocol.Backend
}

func newSession(ts *tunnel.Session, ctrl *yamux.Stream, hello protocol.Hello, keyID, remote string, timeout time.Duration) *session {
	s := &session{
		id: hello.AgentID, ys: ts.Session, ctrl: newFrameWriter(ctrl, timeout), ctrlSt: ctrl, hello: hello, keyID: keyID,
		remote: remote, since: time.Now(), timeout: timeout, backends: map[string]protocol.Backend{},
		reuse: hello.Capability >= protocol.CapabilityLanes,
	}
	if hello.Capability >= protocol.CapabilityDirect && protocol.CapabilityVersion >= protocol.CapabilityDirect {
		// Before the session is registered, so before any call can open a lane: the
		// agent sends direct records only on streams the hub opened.
		s.direct = ts.Direct()
		s.direct.Enable()
	}
	s.apply(protocol.Update{Backends: hello.Backends})
	return s
}

// lane returns an idle lane, or a new stream, and whether it was a lane already used.
func (s *session) lane() (*lane, bool, error) {
	if s.reuse {
		if ln := s.lanes.take(time.Now()); ln != nil {
			return ln, true, nil
		}
	}
	ln, err := s.open()
	return ln, false, err
}

// open opens a call stream: a direct stream with an agent of capability 4, else a yamux
// stream.
func (s *session) open() (*lane, error) {
	var (
		st  tunnel.Stream
		err error
	)
	if s.direct != nil {
		st, err = s.direct.Open()
	} else {
		st, err = s.ys.OpenStream()
	}
	if err != nil {
		return nil, err
	}
	s.opened.Add(1)
	return &lane{st: st, w: newFrameWriter(st, s.timeout)}, nil
}

// gone reports whether the tunnel has ended: the yamux session, or the direct streams,
// which may learn it a moment earlier.
func (s *session) gone() bool {
	return s.ys.IsClosed() || (s.direct != nil && s.direct.Closed())
}

// apply merges an update into the backend list.
func (s *session) apply(up protocol.Update) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range up.Backends {
		if b.Name != "" {
			s.backends[b.Name] = b
		}
	}
	for _, name := range up.Removed {
		delete(s.backends, name)
	}
}

// list returns the backends sorted by name.
func (s *session) list() []protocol.Backend {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]protocol.Backend, 0, len(s.backends))
	for _, b := range s.backends {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b protocol.Backend) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func (s *session) info() AgentInfo {
	s.mu.Lock()
	n := len(s.backends)
	s.mu.Unlock()
	return AgentInfo{
		ID: s.id, Version: s.hello.Version, Capability: s.hello.Capability, RemoteAddr: s.remote,
		KeyID: s.keyID, ConnectedSince: s.since, Backends: n,
	}
}

// refuse tells the agent why it is being dropped, as well as a stuck tunnel allows, and
// closes the session.
func (s *session) refuse(code, msg string) {
	s.refuseWith(protocol.Refusal{Code: code, Message: msg})
}

// refuseWith sends r and closes the tunnel.
func (s *session) refuseWith(r protocol.Refusal) {
	_ = s.ctrl.WriteJSONVia(bounded(s.ctrlSt, cancelTimeout), protocol.TypeRefusal, r)
	_ = s.ys.Close()
}

// replacements is the history of newer connections taking over one agent id.
type replacements struct {
	total  int
	recent []time.Time          // within the fight window, of agents that do not name their instance
	gone   map[string]time.Time // instance → when a connection of it was replaced, within FightMemory
	fought time.Time            // last time an instance came back to take the id
	warned time.Time            // last "fighting" warning
}

// add records that a connection of instance newer replaced one of instance older ("" for
// agents that do not send it).
func (h *replacements) add(now time.Time, older, newer string, window time.Duration) {
	h.total++
	if older == "" || newer == "" {
		h.recent = append(h.recent, now)
	} else {
		if h.gone == nil {
			h.gone = map[string]time.Time{}
		}
		if at, ok := h.gone[newer]; ok && now.Sub(at) <= FightMemory {
			h.fought = now // an agent that was pushed out came back and pushed the other out
		}
		h.gone[older] = now
	}
	h.prune(now, window)
}

func (h *replacements) prune(now time.Time, window time.Duration) {
	i := 0
	for i < len(h.recent) && now.Sub(h.recent[i]) > window {
		i++
	}
	h.recent = h.recent[i:]
	for inst, at := range h.gone {
		if now.Sub(at) > FightMemory {
			delete(h.gone, inst)
		}
	}
}

func (h *replacements) fighting(now time.Time, window time.Duration) bool {
	h.prune(now, window)
	return len(h.recent) > FightThreshold || (!h.fought.IsZero() && now.Sub(h.fought) <= window)
}

// register makes s the agent's session, replacing any older one (newest wins). It reports
// false when the registry is closed.
func (r *Registry) register(s *session) bool {
	r.notifyMu.Lock()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.notifyMu.Unlock()
		return false
	}
	old := r.sessions[s.id]
	r.sessions[s.id] = s
	r.wg.Add(1)
	warn := false
	if old != nil {
		warn = r.replaced(s.id, old.hello.Instance, s.hello.Instance)
	}
	r.mu.Unlock()
	if r.opts.OnSession != nil {
		r.opts.OnSession(s.id, s.hello.Instance)
	}
	r.opts.OnChange(s.id, s.list(), true)
	r.notifyMu.Unlock()

	log := r.log.With("agent", s.id, "remote", s.remote, "version", s.hello.Version)
	if old == nil {
		log.Info("agent connected", "backends", len(s.hello.Backends))
		return true
	}
	if s.hello.Instance != "" && s.hello.Instance == old.hello.Instance {
		log.Info("agent reconnected before its old connection was seen to end; closing the old one", "old_remote", old.remote)
	} else {
		log.Info("agent replaced an older connection with the same id", "old_remote", old.remote)
	}
	if warn {
		r.log.Warn("two agents are fighting over id "+s.id+": each connection replaces the other; give each agent its own id and key",
			"agent", s.id, "remote", s.remote, "old_remote", old.remote)
	}
	old.refuse(protocol.RefuseReplaced, "a newer connection for agent "+s.id+" from "+s.remote+" took over")
	return true
}

// replaced records a replacement of id and reports whether to warn about a fight now.
// r.mu is held.
func (r *Registry) replaced(id, older, newer string) bool {
	now := time.Now()
	h := r.history[id]
	if h == nil {
		h = &replacements{}
		r.history[id] = h
	}
	if older != "" && older == newer {
		h.total++ // the same agent reconnecting: not a fight
		return false
	}
	h.add(now, older, newer, r.opts.FightWindow)
	if !h.fighting(now, r.opts.FightWindow) || now.Sub(h.warned) < r.opts.FightWindow {
		return false
	}
	h.warned = now
	return true
}

// unregister removes s if it is still the agent's session, and reports the agent gone.
func (r *Registry) unregister(s *session) {
	defer r.wg.Done()
	r.notifyMu.Lock()
	defer r.notifyMu.Unlock()
	r.mu.Lock()
	current := r.sessions[s.id] == s
	if current {
		delete(r.sessions, s.id)
	}
	r.mu.Unlock()
	if current {
		r.log.Info("agent disconnected", "agent", s.id, "remote", s.remote,
			"connected_for", time.Since(s.since).Round(time.Second))
		r.opts.OnChange(s.id, nil, false)
	}
}

// changed reports s's backend list if s is still the agent's session.
func (r *Registry) changed(s *session) {
	r.notifyMu.Lock()
	defer r.notifyMu.Unlock()
	if r.current(s.id) == s {
		r.opts.OnChange(s.id, s.list(), true)
	}
}
