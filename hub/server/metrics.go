package server

import (
	"net/http"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/metrics"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
)

// permMetrics is what a key's role needs to scrape /metrics (unless metrics_public is set):
// the metrics carry tool, agent and backend names and call counts, like /api/v1/usage.
const permMetrics = rbac.UsageRead

// newMetrics builds the hub's metrics and makes the gateway report every call to them.
func (s *Server) newMetrics() {
	s.Metrics = metrics.New(metrics.Gauges{
		Agents:   func() int { return len(s.Agents.List()) },
		Fighting: s.Agents.Fighting,

		HandshakesDeferred: s.Agents.HandshakesDeferred,
		Sessions:           s.GW.Sessions,
		Audit: func() [3]int64 {
			st := s.Audit.Stats()
			return [3]int64{st.Recorded, st.Stored, st.Pending}
		},
		AuditAdmission: func() metrics.AuditAdmission {
			st := s.Audit.Stats()
			return metrics.AuditAdmission{RefusedJournal: st.RefusedJournal, RefusedFull: st.RefusedFull,
				Lost: st.Lost, JournalDown: st.JournalDown}
		},
		Backends: s.Upstream.Stats,
	})
	s.Metrics.Conns(s.conns.Stats)
	s.Metrics.Rates(s.rates.Stats)
	gw := s.GW
	s.Metrics.Sessions(metrics.SessionBounds{
		Listens:         gw.Listeners,
		SessionsRefused: func() int64 { return gw.LimitStats().SessionsRefused },
		ListensRefused:  func() int64 { return gw.LimitStats().ListensRefused },
		ExpiredIdle:     func() int64 { return gw.LimitStats().ExpiredIdle },
		ExpiredUnused:   func() int64 { return gw.LimitStats().ExpiredUnused },
	})
}

// metricsHandler serves /metrics to keys whose role may read usage.
func (s *Server) metricsHandler() http.Handler {
	h := s.Metrics.Handler()
	if s.cfg.MetricsPublic {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := auth.BearerToken(r)
		id, known := s.Keys.Lookup(key)
		switch {
		case !ok || !known:
			w.Header().Set("WWW-Authenticate", `Bearer realm="mcp-gateway"`)
			http.Error(w, "metrics need an API key whose role has "+permMetrics+" (or metrics_public = true)", http.StatusUnauthorized)
		case !id.AllowsAdmin():
			http.Error(w, "this API key has scope \""+id.Scope+"\": it makes MCP calls only, and /metrics is part of the admin surface; use a key of scope \"admin\" or \"all\"", http.StatusForbidden)
		case !s.RBAC.Can(id.Role, permMetrics):
			http.Error(w, "role "+id.Role+" lacks "+permMetrics, http.StatusForbidden)
		default:
			h.ServeHTTP(w, r)
		}
	})
}
