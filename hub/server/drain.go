package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/gateway"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// drainer counts the calls in flight per agent ("" for hub-local backends) so that, between
// SIGTERM and exit, the hub tells each agent hub_closing as soon as no call of its runs here
// and exits once no call runs at all (docs/DEPLOY.md, "Graceful drain"). It is on every
// call's path, so it counts with atomics (one counter per agent id, kept once made: there are
// as many as agents ever called) and signals only while draining.
type drainer struct {
	on      atomic.Bool
	total   atomic.Int64
	calls   sync.Map      // agent id → *atomic.Int64
	changed chan struct{} // capacity 1: a call ended while draining
}

func newDrainer() *drainer {
	return &drainer{changed: make(chan struct{}, 1)}
}

// upstream wraps the hub's upstream so that every call is counted while it runs.
func (d *drainer) upstream(u gateway.Upstream) gateway.Upstream { return countedUpstream{u, d} }

type countedUpstream struct {
	next gateway.Upstream
	d    *drainer
}

func (c countedUpstream) Call(ctx context.Context, t router.Target, bc *backend.Call) (*jsonrpc.Response, error) {
	defer c.d.end(c.d.begin(t.Agent))
	return c.next.Call(ctx, t, bc)
}

// begin counts a call to agent's tools starting; pass what it returns to end.
func (d *drainer) begin(agent string) *atomic.Int64 {
	n := d.counter(agent)
	n.Add(1)
	d.total.Add(1)
	return n
}

func (d *drainer) counter(agent string) *atomic.Int64 {
	if v, ok := d.calls.Load(agent); ok {
		return v.(*atomic.Int64)
	}
	v, _ := d.calls.LoadOrStore(agent, new(atomic.Int64))
	return v.(*atomic.Int64)
}

// end counts a call's end. The decrements come before the check of on: a drain that starts
// after the check reads the counts after them, so no end is missed.
func (d *drainer) end(n *atomic.Int64) {
	n.Add(-1)
	d.total.Add(-1)
	if !d.on.Load() {
		return
	}
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// busy returns the number of calls in flight and whether the agent has one.
func (d *drainer) busy(agent string) (total int, agentBusy bool) {
	if v, ok := d.calls.Load(agent); ok {
		agentBusy = v.(*atomic.Int64).Load() > 0
	}
	return int(d.total.Load()), agentBusy
}

// drain runs between the end of ctx and the shutdown: it refuses what would start new work
// here (the handler's job while d.on is set), moves each agent once its calls have ended,
// and returns when no call is in flight or after timeout.
func (s *Server) drain(srv *http.Server, timeout time.Duration) {
	d := s.drainer
	d.on.Store(true)
	srv.SetKeepAlivesEnabled(false) // idle client connections close; their next request goes through the balancer
	start := time.Now()
	total, _ := d.busy("")
	s.log.Info("draining: /readyz answers 503, new agent tunnels and client sessions are refused; agents move as their calls end",
		"calls_in_flight", total, "agents", len(s.Agents.List()), "drain_timeout", timeout)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	moved := map[string]bool{}
	for {
		for _, a := range s.Agents.List() {
			if _, busy := d.busy(a.ID); !busy && !moved[a.ID] {
				moved[a.ID] = s.Agents.Refuse(a.ID, hubClosing)
			}
		}
		total, _ := d.busy("")
		if total == 0 {
			s.log.Info("drained: no call in flight", "agents_moved", len(moved), "took", time.Since(start).Round(time.Millisecond))
			return
		}
		select {
		case <-d.changed:
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
		if s.drainer.on.Load() && s.startsSomething(r) {
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
