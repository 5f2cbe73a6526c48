package api

import (
	"net/http"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// HubStatus is the answer to GET /status: this hub's version and uptime, its audit queue,
// and its agents (the web console's overview).
type HubStatus struct {
	Version   string      `json:"version"`
	StartedAt time.Time   `json:"started_at"`
	Audit     AuditQueue  `json:"audit"`
	Agents    AgentCounts `json:"agents"`
}

// AuditQueue is the audit recorder's state: events journaled and not yet in the store,
// and the calls refused because the queue was full or the journal unwritable.
type AuditQueue struct {
	Pending        int64 `json:"pending"`
	Recorded       int64 `json:"recorded"`
	Stored         int64 `json:"stored"`
	RefusedFull    int64 `json:"refused_full"`
	RefusedJournal int64 `json:"refused_journal"`
	JournalDown    bool  `json:"journal_down"`
}

// AgentCounts are the agents connected to this hub.
type AgentCounts struct {
	Connected int `json:"connected"`
	Fighting  int `json:"fighting"`
}

// AuditStatser reports the audit recorder's counters (*audit.Recorder).
type AuditStatser interface{ Stats() audit.Stats }

func (a *API) statusRoutes() []route {
	return []route{{Method: "GET", Path: "/status", Perm: rbac.BackendsRead, Tag: "meta",
		Summary: "This hub's version, uptime, audit queue and connected agents", Result: HubStatus{}, handle: a.status}}
}

func (a *API) status(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	st := HubStatus{Version: version.Current(), StartedAt: a.started}
	if s, ok := a.d.Audit.(AuditStatser); ok && s != nil {
		as := s.Stats()
		st.Audit = AuditQueue{Pending: as.Pending, Recorded: as.Recorded, Stored: as.Stored,
			RefusedFull: as.RefusedFull, RefusedJournal: as.RefusedJournal, JournalDown: as.JournalDown}
	}
	if a.d.Agents != nil {
		for _, ag := range a.d.Agents.List() {
			st.Agents.Connected++
			if ag.Fighting {
				st.Agents.Fighting++
			}
		}
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
