package api

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// AuditStats is the answer to GET /audit/stats.
type AuditStats struct {
	Total      int64            `json:"total"`
	ByStatus   map[string]int64 `json:"by_status"`
	ByDecision map[string]int64 `json:"by_decision"`
	ByKind     map[string]int64 `json:"by_kind"`
}

var auditFilters = []param{
	{"from", "RFC 3339 time, inclusive"}, {"to", "RFC 3339 time, exclusive"},
	{"user", "user id (audit.read.all unless it is you)"}, {"agent", "agent id"}, {"backend", "backend name"},
	{"tool", "tool name"}, {"kind", "call, denied, admin, integrity or login"}, {"status", "ok, error or denied"},
	{"decision", "allow or deny"}, {"application", "application of the key"}, {"trace_id", "trace id"},
	{"key", "API key id (key_id)"},
}

func (a *API) auditRoutes() []route {
	page := append(slices.Clone(auditFilters), param{"cursor", "the next value of the previous page"}, param{"limit", "1 to 1000; default 100"})
	return []route{
		{Method: "GET", Path: "/audit", Tag: "audit", Summary: "Query audit events, newest first, one page at a time",
			Query: page, Result: List[audit.JSONEvent]{}, handle: a.queryAudit},
		{Method: "GET", Path: "/audit/stats", Tag: "audit", Summary: "Count matching audit events by status, decision and kind",
			Query: auditFilters, Result: AuditStats{}, handle: a.auditStats},
		{Method: "GET", Path: "/audit/export", Tag: "audit", Summary: "Every matching event as JSON lines (or CSV with format=csv), newest first",
			Query: append(slices.Clone(auditFilters), param{"format", "ndjson (default) or csv"}), Stream: "application/x-ndjson", handle: a.exportAudit},
	}
}

// auditQuery parses the filters and applies ownership: without audit.read.all the query is
// bound to the caller's own user id, in the store query itself.
func auditQuery(c *Caller, v url.Values) (store.AuditQuery, error) {
	var q store.AuditQuery
	if !c.Can(rbac.AuditReadAll) && !c.Can(rbac.AuditReadOwn) {
		return q, forbidden(rbac.AuditReadOwn)
	}
	var err error
	if q.From, err = timeParam(v, "from"); err != nil {
		return q, err
	}
	if q.To, err = timeParam(v, "to"); err != nil {
		return q, err
	}
	q.UserID, q.Agent, q.Backend, q.Tool = v.Get("user"), v.Get("agent"), v.Get("backend"), v.Get("tool")
	q.Kind, q.Status, q.Decision = v.Get("kind"), v.Get("status"), v.Get("decision")
	q.Application, q.TraceID, q.Cursor, q.KeyID = v.Get("application"), v.Get("trace_id"), v.Get("cursor"), v.Get("key")
	for _, f := range []struct {
		name, val string
		ok        []string
	}{
		{"kind", q.Kind, []string{store.AuditCall, store.AuditDenied, store.AuditAdmin, store.AuditIntegrity, store.AuditLogin}},
		{"status", q.Status, []string{"ok", "error", "denied"}},
		{"decision", q.Decision, []string{"allow", "deny"}},
	} {
		if f.val != "" && !slices.Contains(f.ok, f.val) {
			return q, invalid("%s %q: want one of %v", f.name, f.val, f.ok)
		}
	}
	if !c.Can(rbac.AuditReadAll) {
		if q.UserID != "" && q.UserID != c.UserID {
			return q, forbidden(rbac.AuditReadAll)
		}
		q.UserID = c.UserID
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return q, invalid("limit %q: want a number from 1 to 1000", s)
		}
		q.Limit = n
	}
	return q, nil
}

func timeParam(v url.Values, name string) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, invalid("%s %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", name, s)
	}
	return t, nil
}

func (a *API) queryAudit(w http.ResponseWriter, r *http.Request, c *Caller) error {
	q, err := auditQuery(c, r.URL.Query())
	if err != nil {
		return err
	}
	a.syncAudit(r)
	evs, next, err := a.d.Store.QueryAudit(r.Context(), q)
	if errors.Is(err, store.ErrBadCursor) {
		return invalid("cursor is not one this hub handed out for these filters")
	}
	if err != nil {
		return err
	}
	out := List[audit.JSONEvent]{Items: make([]audit.JSONEvent, 0, len(evs)), Next: next}
	for i := range evs {
		out.Items = append(out.Items, audit.NewJSONEvent(&evs[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) auditStats(w http.ResponseWriter, r *http.Request, c *Caller) error {
	q, err := auditQuery(c, r.URL.Query())
	if err != nil {
		return err
	}
	a.syncAudit(r)
	st, err := a.d.Store.AuditStats(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, AuditStats{Total: st.Total, ByStatus: st.ByStatus, ByDecision: st.ByDecision, ByKind: st.ByKind})
	return nil
}

// exportAudit streams every matching event, a page at a time, as JSON lines in the format
// of hub/audit's export (one audit.JSONEvent per line).
func (a *API) exportAudit(w http.ResponseWriter, r *http.Request, c *Caller) error {
	q, err := auditQuery(c, r.URL.Query())
	if err != nil {
		return err
	}
	asCSV := false
	switch f := r.URL.Query().Get("format"); f {
	case "", "ndjson", "jsonl":
	case "csv":
		asCSV = true
	default:
		return invalid("format %q: want ndjson or csv", f)
	}
	a.syncAudit(r)
	q.Cursor, q.Limit = "", 1000
	evs, next, err := a.d.Store.QueryAudit(r.Context(), q)
	if err != nil { // before the first byte: still a JSON error
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	var cw *csv.Writer
	if asCSV {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
		cw = csv.NewWriter(w)
		if err := cw.Write(audit.CSVHeader); err != nil {
			return nil
		}
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Content-Disposition", `attachment; filename="audit.jsonl"`)
	}
	flusher, _ := w.(http.Flusher)
	for {
		if asCSV {
			err = audit.WriteCSV(cw, evs)
		} else {
			err = audit.WriteJSONL(w, evs)
		}
		if err != nil {
			return nil // the client went away
		}
		if flusher != nil {
			flusher.Flush()
		}
		if next == "" {
			return nil
		}
		q.Cursor = next
		if evs, next, err = a.d.Store.QueryAudit(r.Context(), q); err != nil {
			// Headers are sent: end the stream with a line saying why, and log it.
			a.log.Error("api: audit export failed midway", "err", err)
			if asCSV {
				_ = cw.Write([]string{"error", "export stopped early: " + err.Error()})
				cw.Flush()
				return nil
			}
			_ = enc.Encode(map[string]any{"error": map[string]string{"code": CodeInternal, "message": "export stopped early: " + err.Error()}})
			return nil
		}
	}
}
