// Package metrics exposes the hub's Prometheus metrics — calls, refusals, durations, agents,
// sessions, backends' call bounds and the audit trail — on a registry the hub owns, served at /metrics.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/upstream"
)

// Metrics holds the hub's collectors.
type Metrics struct {
	reg      *prometheus.Registry
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	denied   *prometheus.CounterVec

	// callSeries and durationSeries are the series already resolved, by their labels:
	// Observe runs on every call, and a vector's WithLabelValues checks, hashes and looks
	// up its label values each time. Series are never deleted, so a resolved child stays
	// its vector's.
	callSeries     sync.Map // callLabels → prometheus.Counter
	durationSeries sync.Map // durationLabels → prometheus.Observer
}

// callLabels are the labels of one mcpgw_calls_total series, durationLabels those of one
// mcpgw_call_duration_seconds series.
type (
	callLabels     struct{ method, agent, backend, tool, status string }
	durationLabels struct{ method, agent, backend string }
)

// calledSeries returns the calls counter of l, resolving it the first time.
func (m *Metrics) calledSeries(l callLabels) prometheus.Counter {
	if c, ok := m.callSeries.Load(l); ok {
		return c.(prometheus.Counter)
	}
	c, _ := m.callSeries.LoadOrStore(l, m.calls.WithLabelValues(l.method, l.agent, l.backend, l.tool, l.status))
	return c.(prometheus.Counter)
}

// durationOf returns the duration histogram of l, resolving it the first time.
func (m *Metrics) durationOf(l durationLabels) prometheus.Observer {
	if o, ok := m.durationSeries.Load(l); ok {
		return o.(prometheus.Observer)
	}
	o, _ := m.durationSeries.LoadOrStore(l, m.duration.WithLabelValues(l.method, l.agent, l.backend))
	return o.(prometheus.Observer)
}

// Gauges are read when Prometheus scrapes.
type Gauges struct {
	Agents   func() int // connected agents
	Fighting func() int // agent ids that two agents are fighting over
	// HandshakesDeferred counts agent handshakes answered 503 + Retry-After at the handshake
	// rate or cap.
	HandshakesDeferred func() int64
	Sessions           func() int      // open MCP sessions
	Audit              func() [3]int64 // audit events recorded, stored, pending
	// AuditAdmission gives the audit trail's refusals and health.
	AuditAdmission func() AuditAdmission
	// Backends gives each called backend's bounds: load, breaker, timeouts, rejections.
	Backends func() []upstream.Status
}

// AuditAdmission is what the audit trail did to calls: refused them before they reached a
// backend (journal unwritable, queue full), or let them run without an event (on_failure
// "allow"), and whether the journal can be written now.
type AuditAdmission struct {
	RefusedJournal, RefusedFull, Lost int64
	JournalDown                       bool
}

// New builds the collectors on a new registry, with Go and process metrics.
func New(g Gauges) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mcpgw_calls_total", Help: "Forwarded MCP requests (tools/call, prompts/get, resources/read, …) by outcome.",
	}, []string{"method", "agent", "backend", "tool", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "mcpgw_call_duration_seconds", Help: "Time from the hub receiving a forwarded request to its answer, refusals excluded.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"method", "agent", "backend"})
	m.denied = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mcpgw_denied_total", Help: "Tool calls refused by governance, by the rule that refused them (rbac, disabled, quarantine or a policy rule).",
	}, []string{"rule"})
	m.reg.MustRegister(m.calls, m.duration, m.denied,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gauge := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	if g.Agents != nil {
		gauge("mcpgw_agents_connected", "Agents with an open tunnel to this hub.", func() float64 { return float64(g.Agents()) })
	}
	if g.Fighting != nil {
		gauge("mcpgw_agents_fighting", "Agent ids that two agent processes take from each other (one id, two agents).",
			func() float64 { return float64(g.Fighting()) })
	}
	if g.HandshakesDeferred != nil {
		m.counterFunc("mcpgw_agent_handshakes_deferred_total",
			"Agent tunnels answered 503 with Retry-After because limits.agent_handshakes_per_second or limits.max_concurrent_agent_handshakes was reached.",
			nil, func() float64 { return float64(g.HandshakesDeferred()) })
	}
	if g.Sessions != nil {
		gauge("mcpgw_sessions", "Open session-based MCP client sessions.", func() float64 { return float64(g.Sessions()) })
	}
	if g.Audit != nil {
		gauge("mcpgw_audit_pending_events", "Audit events in the journal not yet in the store.", func() float64 { return float64(g.Audit()[2]) })
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mcpgw_audit_recorded_events_total",
			Help: "Audit events recorded since start."}, func() float64 { return float64(g.Audit()[0]) }))
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mcpgw_audit_stored_events_total",
			Help: "Audit events shipped to the store since start."}, func() float64 { return float64(g.Audit()[1]) }))
	}
	if a := g.AuditAdmission; a != nil {
		m.counterFunc("mcpgw_audit_refused_calls_total", "Calls refused before reaching a backend because the audit journal could not be written.",
			prometheus.Labels{"reason": "journal"}, func() float64 { return float64(a().RefusedJournal) })
		m.counterFunc("mcpgw_audit_refused_calls_total", "Calls refused before reaching a backend because the audit journal could not be written.",
			prometheus.Labels{"reason": "queue_full"}, func() float64 { return float64(a().RefusedFull) })
		m.counterFunc("mcpgw_audit_lost_events_total", "Events of calls that ran without an audit event (on_failure = \"allow\" while the journal could not be written).",
			nil, func() float64 { return float64(a().Lost) })
		gauge("mcpgw_audit_journal_up", "1 when the audit journal can be written, 0 when it cannot (calls are refused unless on_failure = \"allow\").",
			func() float64 {
				if a().JournalDown {
					return 0
				}
				return 1
			})
	}
	if g.Backends != nil {
		m.reg.MustRegister(newBackendBounds(g.Backends))
	}
	return m
}

// Observe counts one audited call or refusal. It is the gateway's audit observer, so metrics
// and the audit trail count the same events.
func (m *Metrics) Observe(ev *store.AuditEvent) {
	if ev.Kind == store.AuditDenied {
		m.denied.WithLabelValues(ev.Rule).Inc()
	}
	m.calledSeries(callLabels{ev.Action, ev.Agent, ev.Backend, ev.Tool, ev.Status}).Inc()
	if ev.Kind == store.AuditCall {
		m.durationOf(durationLabels{ev.Action, ev.Agent, ev.Backend}).Observe(ev.Duration.Seconds())
	}
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, Timeout: 10 * time.Second})
}
