package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// drain runs between the end of ctx and the shutdown: it refuses what would start new work
// here (the handler's job while d.on is set), moves each agent once its calls have ended,
// and returns when no call is in flight or after timeout.
func (s *Server) drain(srv *http.Server, timeout time.Duration) {
	s.draining.Store(true)
	d := s.Upstream.InFlight
	changed := d.Watch()
	srv.SetKeepAlivesEnabled(false) // idle client connections close; their next request goes through the balancer
	start := time.Now()
	total, _ := d.Busy("")
	s.log.Info("draining: /readyz answers 503, new agent tunnels and client sessions are refused; agents move as their calls end",
		"calls_in_flight", total, "agents", len(s.Agents.List()), "drain_timeout", timeout)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	moved := map[string]bool{}
	for {
		for _, a := range s.Agents.List() {
			if _, busy := d.Busy(a.ID); !busy && !moved[a.ID] {
				moved[a.ID] = s.Agents.Refuse(a.ID, hubClosing)
			}
		}
		total, _ := d.Busy("")
		if total == 0 {
			s.log.Info("drained: no call in flight", "agents_moved", len(moved), "took", time.Since(start).Round(time.Millisecond))
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			s.log.Warn("drain_timeout reached: the calls still in flight are cut", "calls_in_flight", total,
				"agents_moved", len(moved), "drain_timeout", timeout)
			return
		}
	}
}

var hubClosing = protocol.Refusal{Code: protocol.RefuseHubClosing, Message: "the hub is shutting down: connect to another hub"}

// drainGate refuses, while the hub drains, what would tie new work to it: agent tunnels,
// session-based MCP sessions (initialize without Mcp-Session-Id, GET /sse). Requests of
// existing sessions and stateless calls are served. 503 with Retry-After lets a balancer
// retry them on another hub (docs/deploy/compose/haproxy.cfg).
func (s *Server) drainGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() && s.startsSomething(r) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Connection", "close")
			http.Error(w, "the hub is draining (shutting down): connect to another hub", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) startsSomething(r *http.Request) bool {
	switch {
	case r.Method == http.MethodGet && (r.URL.Path == "/agent/ws" || r.URL.Path == "/sse" || strings.HasPrefix(r.URL.Path, "/sse/")):
		return true // an agent's tunnel, an HTTP+SSE session at /sse or a tool group's /sse/<group>
	case r.Method == http.MethodPost && (r.URL.Path == "/mcp" || strings.HasPrefix(r.URL.Path, "/mcp/")) && r.Header.Get("Mcp-Session-Id") == "":
		return s.initializes(r)
	}
	return false
}

// initializes reports whether the body holds an initialize request (alone or in a batch).
// It reads the body, within max_body_bytes, and puts it back for the handler.
func (s *Server) initializes(r *http.Request) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBodyBytes+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil {
		return false // the handler meets the same error and answers it
	}
	type method struct {
		Method string `json:"method"`
	}
	var one method
	if json.Unmarshal(body, &one) == nil {
		return one.Method == "initialize"
	}
	var batch []method
	if json.Unmarshal(body, &batch) == nil {
		for _, m := range batch {
			if m.Method == "initialize" {
				return true
			}
		}
	}
	return false
}
