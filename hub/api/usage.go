package api

import (
	"net/http"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// UsageRow is one (bucket, key) cell of GET /usage.
type UsageRow struct {
	Bucket        time.Time `json:"bucket"`
	Key           string    `json:"key"`
	Calls         int64     `json:"calls"`
	Errors        int64     `json:"errors"`
	Denied        int64     `json:"denied"`
	AvgDurationMS float64   `json:"avg_duration_ms"`
}

func (a *API) usageRoutes() []route {
	return []route{{Method: "GET", Path: "/usage", Perm: rbac.UsageRead, Tag: "usage",
		Summary: "Calls, errors and denials per time bucket and tool, user, agent, backend or application",
		Query: []param{{"bucket", "bucket width, a Go duration of whole seconds (default 1h)"},
			{"by", "tool (default), user, agent, backend or application"},
			{"from", "RFC 3339 time, inclusive"}, {"to", "RFC 3339 time, exclusive"}},
		Result: List[UsageRow]{}, handle: a.usage}}
}

// usage counts calls. Without audit.read.all it counts only the caller's own calls.
func (a *API) usage(w http.ResponseWriter, r *http.Request, c *Caller) error {
	v := r.URL.Query()
	q := store.UsageQuery{By: v.Get("by"), Bucket: time.Hour}
	switch q.By {
	case "", store.UsageByTool, store.UsageByUser, store.UsageByAgent, store.UsageByBackend, store.UsageByApplication:
	default:
		return invalid("by %q: want tool, user, agent, backend or application", q.By)
	}
	if s := v.Get("bucket"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second || d%time.Second != 0 || d > 366*24*time.Hour {
			return invalid("bucket %q: want whole seconds from 1s to 8784h, such as 1h or 15m", s)
		}
		q.Bucket = d
	}
	var err error
	if q.From, err = timeParam(v, "from"); err != nil {
		return err
	}
	if q.To, err = timeParam(v, "to"); err != nil {
		return err
	}
	if !c.Can(rbac.AuditReadAll) {
		q.UserID = c.UserID
	}
	a.syncAudit(r)
	rows, err := a.d.Store.AuditUsage(r.Context(), q)
	if err != nil {
		return err
	}
	out := List[UsageRow]{Items: make([]UsageRow, 0, len(rows))}
	for _, row := range rows {
		out.Items = append(out.Items, UsageRow{Bucket: row.Bucket, Key: row.Key, Calls: row.Calls, Errors: row.Errors,
			Denied: row.Denied, AvgDurationMS: float64(row.AvgDuration) / float64(time.Millisecond)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
