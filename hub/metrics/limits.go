package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-gateway/mcp-gateway/hub/connlimit"
	"github.com/mcp-gateway/mcp-gateway/hub/ratelimit"
)

// counterFunc registers a counter read from f when Prometheus scrapes, with fixed labels.
func (m *Metrics) counterFunc(name, help string, labels prometheus.Labels, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, f))
}

// Conns exposes the connection limiter's counters (docs/LIMITS.md).
func (m *Metrics) Conns(stats func() connlimit.Stats) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mcpgw_http_connections",
		Help: "Open TCP connections of the hub's listener (clients, agents' tunnels, API callers)."},
		func() float64 { return float64(stats().Open) }))
	for _, reason := range []string{connlimit.ReasonTotal, connlimit.ReasonAddress} {
		by := prometheus.Labels{"cap": reason}
		m.counterFunc("mcpgw_http_connections_refused_total", "New connections refused at a connection cap with no quiet connection to close, by cap (total, address).",
			by, func() float64 { return float64(stats().Refused[reason]) })
		m.counterFunc("mcpgw_http_connections_evicted_total", "Quiet (idle or silent) connections closed to make room at a connection cap, by cap (total, address).",
			by, func() float64 { return float64(stats().Evicted[reason]) })
	}
	m.counterFunc("mcpgw_http_accept_errors_total", "Errors accepting connections (e.g. out of file descriptors); each is also logged at Warn.",
		nil, func() float64 { return float64(stats().AcceptErrors) })
}

// SessionBounds are the gateway's counts at its session bounds.
type SessionBounds struct {
	Listens         func() int // open subscriptions/listen streams
	SessionsRefused func() int64
	ListensRefused  func() int64
	ExpiredIdle     func() int64
	ExpiredUnused   func() int64
}

// Sessions exposes the session and listen-stream bounds (docs/LIMITS.md).
func (m *Metrics) Sessions(b SessionBounds) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mcpgw_listen_streams",
		Help: "Open subscriptions/listen streams (stateless clients)."}, func() float64 { return float64(b.Listens()) }))
	f := func(get func() int64) func() float64 { return func() float64 { return float64(get()) } }
	const refused = "mcpgw_session_limit_refusals_total"
	const refusedHelp = "New sessions or listen streams refused at a per-key cap, by kind (session, listen)."
	m.counterFunc(refused, refusedHelp, prometheus.Labels{"kind": "session"}, f(b.SessionsRefused))
	m.counterFunc(refused, refusedHelp, prometheus.Labels{"kind": "listen"}, f(b.ListensRefused))
	const expired = "mcpgw_sessions_expired_total"
	const expiredHelp = "Sessions ended for idleness, by reason: idle (session_idle) or unused (session_idle_unused, no request after initialize)."
	m.counterFunc(expired, expiredHelp, prometheus.Labels{"reason": "idle"}, f(b.ExpiredIdle))
	m.counterFunc(expired, expiredHelp, prometheus.Labels{"reason": "unused"}, f(b.ExpiredUnused))
}

// Rates exposes the rate limiter's counts (docs/LIMITS.md).
func (m *Metrics) Rates(stats func() ratelimit.Stats) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mcpgw_rate_limit_buckets",
		Help: "Token buckets held by the rate limiter (keys and applications active lately)."},
		func() float64 { return float64(stats().Buckets) }))
	for _, scope := range []string{ratelimit.ScopeKey, ratelimit.ScopeApplication} {
		m.counterFunc("mcpgw_rate_limited_total", "Requests refused by a rate limit (/mcp and /api/v1), by scope (key, application).",
			prometheus.Labels{"scope": scope}, func() float64 { return float64(stats().Refused[scope]) })
	}
}
