package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-gateway/mcp-gateway/hub/upstream"
)

// backendBounds reports each backend's call bounds from the upstream's state at scrape time,
// so the hot path only bumps its own counters.
type backendBounds struct {
	stats                               func() []upstream.Status
	inFlight, queued, breaker, failures *prometheus.Desc
	timedOut, rejected, opened          *prometheus.Desc
	badAnswers                          *prometheus.Desc
}

func newBackendBounds(stats func() []upstream.Status) *backendBounds {
	l := []string{"agent", "backend"}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append(l, labels...), nil)
	}
	return &backendBounds{
		stats:      stats,
		inFlight:   d("mcpgw_backend_calls_in_flight", "Calls running on the backend now (at most its max_concurrent)."),
		queued:     d("mcpgw_backend_calls_queued", "Calls waiting for a free slot of the backend (at most its max_queue)."),
		breaker:    d("mcpgw_backend_breaker_state", "The backend's circuit breaker: 0 closed, 1 half-open, 2 open."),
		failures:   d("mcpgw_backend_consecutive_failures", "Consecutive failed calls the breaker counts (timeouts, transport errors, backend gone)."),
		timedOut:   d("mcpgw_backend_calls_timed_out_total", "Calls ended by their deadline (the backend's timeout), queue wait included."),
		rejected:   d("mcpgw_backend_calls_rejected_total", "Calls refused at once: reason busy (concurrency cap and queue full) or circuit_open.", "reason"),
		opened:     d("mcpgw_backend_breaker_opened_total", "Times the backend's circuit breaker opened."),
		badAnswers: d("mcpgw_backend_bad_messages_total", "Calls failed alone because the backend's answer was over max_message_bytes (reason too_large) or not valid JSON-RPC (reason malformed); the backend kept running.", "reason"),
	}
}

func (c *backendBounds) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.inFlight, c.queued, c.breaker, c.failures, c.timedOut, c.rejected, c.opened, c.badAnswers} {
		ch <- d
	}
}

func (c *backendBounds) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.stats() {
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, st.Agent, st.Backend)
		}
		counter := func(d *prometheus.Desc, v uint64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{st.Agent, st.Backend}, labels...)...)
		}
		gauge(c.inFlight, float64(st.InFlight))
		gauge(c.queued, float64(st.Queued))
		gauge(c.breaker, breakerValue(st.Breaker))
		gauge(c.failures, float64(st.Failures))
		counter(c.timedOut, st.TimedOut)
		counter(c.rejected, st.RejectedBusy, "busy")
		counter(c.rejected, st.RejectedOpen, "circuit_open")
		counter(c.opened, st.Opened)
		counter(c.badAnswers, st.TooLarge, "too_large")
		counter(c.badAnswers, st.Malformed, "malformed")
	}
}

func breakerValue(state string) float64 {
	switch state {
	case upstream.BreakerHalfOpen:
		return 1
	case upstream.BreakerOpen:
		return 2
	}
	return 0
}
