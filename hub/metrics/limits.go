package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-gateway/mcp-gateway/hub/connlimit"
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
