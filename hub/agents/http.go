package agents

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// ServeHTTP serves GET /agent/ws: it checks the agent key before the upgrade, admits the
// handshake within the hub's handshake rate and cap (or answers 503 with Retry-After), and
// hands the upgraded tunnel to a goroutine of its own: the request's goroutine returns, so an
// idle agent keeps none of net/http's per-request state.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	id, ok := r.authenticate(w, req)
	if !ok {
		return
	}
	done, retry := r.admit.admit(time.Now())
	if done == nil {
		secs := max(1, int(math.Ceil(retry.Seconds())))
		r.busy.Add(1)
		r.log.Debug("agent tunnel deferred: handshake limit reached", "agent", id.AgentID, "remote", req.RemoteAddr, "retry_after", secs)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		http.Error(w, fmt.Sprintf("the hub is busy taking in agent connections (limits.agent_handshakes_per_second, "+
			"limits.max_concurrent_agent_handshakes); retry in %d s", secs), http.StatusServiceUnavailable)
		return
	}
	ys, err := r.up.Accept(w, req)
	if err != nil {
		done()
		r.log.Info("agent tunnel upgrade failed", "agent", id.AgentID, "remote", req.RemoteAddr, "err", err)
		return
	}
	go r.serveTunnel(ys, id, req.RemoteAddr, done)
}

// serveTunnel runs an upgraded tunnel's handshake: the hello, the registration and the
// welcome. The session's control stream is then read by a new goroutine, whose stack starts
// small, rather than by this one, whose stack grew during the handshake.
func (r *Registry) serveTunnel(ys *tunnel.Session, id auth.Identity, remote string, done func()) {
	defer done()
	s := r.handshake(ys, id, remote)
	if s == nil {
		_ = ys.Close()
		return
	}
	if !r.register(s) {
		s.refuse(protocol.RefuseHubClosing, "the hub is shutting down")
		_ = ys.Close()
		return
	}
	welcome := protocol.Welcome{AgentID: s.id, Capability: protocol.CapabilityVersion, HubVersion: r.opts.HubVersion}
	if err := s.ctrl.WriteJSON(protocol.TypeWelcome, welcome); err != nil {
		r.log.Info("agent left before its welcome", "agent", s.id, "remote", s.remote, "err", err)
		r.unregister(s)
		_ = ys.Close()
		return
	}
	go func() {
		defer ys.Close()
		defer r.unregister(s)
		r.serveControl(s)
	}()
}

// authenticate answers 401 for a missing or unknown key and 403 for a key that is not an
// agent key, before any upgrade.
func (r *Registry) authenticate(w http.ResponseWriter, req *http.Request) (auth.Identity, bool) {
	token, ok := auth.BearerToken(req)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mcp-gateway"`)
		http.Error(w, "missing agent key: send Authorization: Bearer <agent key>", http.StatusUnauthorized)
		return auth.Identity{}, false
	}
	id, ok := r.opts.Keys.Lookup(token)
	if !ok {
		r.log.Info("agent tunnel refused: unknown key", "remote", req.RemoteAddr, "agent_header", req.Header.Get("X-Agent-Id"))
		w.Header().Set("WWW-Authenticate", `Bearer realm="mcp-gateway", error="invalid_token"`)
		http.Error(w, "unknown, expired or revoked agent key", http.StatusUnauthorized)
		return auth.Identity{}, false
	}
	if id.Kind != store.KindAgent || id.AgentID == "" {
		r.log.Warn("agent tunnel refused: not an agent key", "remote", req.RemoteAddr, "key_id", id.KeyID, "kind", id.Kind)
		http.Error(w, "this is a user key; an agent needs an agent key (mcp-gateway-hub agents enroll ID)", http.StatusForbidden)
		return auth.Identity{}, false
	}
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		http.Error(w, "the hub is shutting down", http.StatusServiceUnavailable)
		return auth.Identity{}, false
	}
	return id, true
}

// handshake reads the hello from the control stream and checks it against the key. It
// refuses and returns nil when the agent may not connect.
func (r *Registry) handshake(ys *tunnel.Session, id auth.Identity, remote string) *session {
	log := r.log.With("key_agent", id.AgentID, "remote", remote, "key_id", id.KeyID)
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.HelloTimeout)
	defer cancel()
	ctrl, err := ys.AcceptStreamWithContext(ctx)
	if err != nil {
		log.Info("agent opened no control stream", "err", err)
		return nil
	}
	_ = ctrl.SetReadDeadline(time.Now().Add(r.opts.HelloTimeout))
	t, payload, err := protocol.ReadFrame(ctrl)
	_ = ctrl.SetReadDeadline(time.Time{})
	if err != nil {
		log.Info("agent sent no hello", "err", err)
		return nil
	}
	var hello protocol.Hello
	if t == protocol.TypeHello {
		err = protocol.Decode(t, payload, &hello)
	} else {
		err = fmt.Errorf("first frame is %s, want hello", t)
	}
	s := newSession(ys, ctrl, hello, id.KeyID, remote, r.opts.WriteTimeout)
	switch {
	case err != nil:
		log.Warn("agent refused: bad hello", "err", err)
		s.refuse(protocol.RefuseBadHello, err.Error())
	case hello.AgentID != id.AgentID:
		log.Warn("agent refused: its key is bound to another agent id", "hello_agent", hello.AgentID)
		s.refuseWith(protocol.Refusal{Code: protocol.RefuseAgentID, BoundAgentID: id.AgentID,
			Message: fmt.Sprintf("this key is bound to agent %q, not %q", id.AgentID, hello.AgentID)})
	case hello.Capability < protocol.MinCapabilityVersion:
		log.Warn("agent refused: protocol too old", "capability", hello.Capability, "version", hello.Version)
		s.refuse(protocol.RefuseVersion, fmt.Sprintf("agent protocol version %d is older than %d, the oldest this hub accepts; update the agent",
			hello.Capability, protocol.MinCapabilityVersion))
	default:
		return s
	}
	return nil
}

// serveControl reads updates and events until the control stream or the session ends.
func (r *Registry) serveControl(s *session) {
	ctrl := s.ctrlSt
	for {
		t, payload, err := protocol.ReadFrame(ctrl)
		if err != nil {
			r.log.Debug("agent control stream ended", "agent", s.id, "err", err)
			return
		}
		switch t {
		case protocol.TypeUpdate:
			var up protocol.Update
			if err := protocol.Decode(t, payload, &up); err != nil {
				r.log.Warn("bad update from agent", "agent", s.id, "err", err)
				continue
			}
			s.apply(up)
			r.changed(s)
		case protocol.TypeEvent:
			var ev protocol.Event
			if err := protocol.Decode(t, payload, &ev); err != nil {
				r.log.Warn("bad event from agent", "agent", s.id, "err", err)
				continue
			}
			r.opts.OnEvent(s.id, ev)
		default:
			r.log.Debug("skipping unknown control frame from agent", "agent", s.id, "frame", t.String())
		}
	}
}
