package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// A database with audit rows in the layout before migration 0013 (id primary key, an
// (at, id) index) migrates: every row is kept with all its fields, the audit queries find
// them, a replayed event is still stored once, and the table has the new indexes only.
func TestMigrateAuditLayoutKeepsRows(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.config(t)
			dialect := "sqlite"
			if cfg.DatabaseURL != "" {
				dialect = "postgres"
			}
			if dialect == "sqlite" {
				mustOK(t, os.MkdirAll(cfg.DataDir, 0o700))
			}
			db := rawDB(t, cfg)
			tsType := "TEXT"
			if dialect == "postgres" {
				tsType = "TIMESTAMPTZ"
			}
			_, err := db.ExecContext(ctx, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at "+tsType+" NOT NULL)")
			mustOK(t, err)
			files, err := filepath.Glob(filepath.Join("migrations", dialect, "*.sql"))
			mustOK(t, err)
			sort.Strings(files)
			for v := 1; v <= 12; v++ {
				body, err := os.ReadFile(files[v-1])
				mustOK(t, err)
				_, err = db.ExecContext(ctx, string(body))
				mustOK(t, err)
				_, err = db.ExecContext(ctx, fmt.Sprintf("INSERT INTO schema_migrations VALUES (%d, '2026-01-01T00:00:00.000000Z')", v))
				mustOK(t, err)
			}
			base := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
			old := []store.AuditEvent{
				{ID: "01A", Time: base, Kind: "call", UserID: "u1", KeyID: "k1", Caller: "alice", Role: "admin",
					Application: "app", Agent: "a1", Backend: "b1", Tool: "search", Risk: "low", Decision: "allow",
					Rule: "r1", Status: "ok", Duration: 1500 * time.Microsecond, TraceID: "t1", RequestHash: "rh",
					ResponseHash: "sh", Request: `{"q":1}`, Response: `{"r":2}`},
				{ID: "01B", Time: base.Add(time.Second), Kind: "denied", UserID: "u2", Tool: "delete", Status: "denied",
					Decision: "deny", Error: "not allowed", TraceID: "t2"},
				{ID: "01C", Time: base.Add(2 * time.Second), Kind: "admin", UserID: "u1", Action: "key.create",
					Target: "k9", Detail: "d"},
			}
			for _, e := range old {
				at := any(e.Time)
				if dialect == "sqlite" {
					at = e.Time.Format("2006-01-02T15:04:05.000000Z")
				}
				q := "INSERT INTO audit_events (id, at, kind, user_id, key_id, caller, role, application, agent, backend," +
					" tool, risk, decision, rule, status, error, duration_ns, trace_id, request_hash, response_hash," +
					" request, response, action, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
				if dialect == "postgres" {
					q = pgPlaceholders(q)
				}
				_, err := db.ExecContext(ctx, q, e.ID, at, e.Kind, e.UserID, e.KeyID, e.Caller, e.Role, e.Application,
					e.Agent, e.Backend, e.Tool, e.Risk, e.Decision, e.Rule, e.Status, e.Error, int64(e.Duration),
					e.TraceID, e.RequestHash, e.ResponseHash, e.Request, e.Response, e.Action, e.Target, e.Detail)
				mustOK(t, err)
			}

			s, err := store.Open(ctx, cfg) // applies 0013
			mustOK(t, err)
			t.Cleanup(func() { s.Close() })

			got, _, err := s.QueryAudit(ctx, store.AuditQuery{})
			mustOK(t, err)
			if len(got) != 3 {
				t.Fatalf("after the migration QueryAudit found %d events, want 3", len(got))
			}
			for i, e := range got { // newest first
				want := old[2-i]
				if e != want {
					t.Errorf("event %d after the migration:\n got %+v\nwant %+v", i, e, want)
				}
			}
			for _, c := range []struct {
				q    store.AuditQuery
				want int
			}{
				{store.AuditQuery{UserID: "u1"}, 2}, {store.AuditQuery{Tool: "delete"}, 1},
				{store.AuditQuery{TraceID: "t1"}, 1}, {store.AuditQuery{From: base.Add(time.Second)}, 2},
			} {
				evs, _, err := s.QueryAudit(ctx, c.q)
				mustOK(t, err)
				if len(evs) != c.want {
					t.Errorf("QueryAudit(%+v) = %d events, want %d", c.q, len(evs), c.want)
				}
			}
			// A replayed old event is skipped; a new one is stored.
			mustOK(t, s.InsertAudit(ctx, []store.AuditEvent{old[0], {ID: "01D", Time: base.Add(3 * time.Second), Kind: "call"}}))
			st, err := s.AuditStats(ctx, store.AuditQuery{})
			mustOK(t, err)
			if st.Total != 4 {
				t.Errorf("after a replay and one new event the table has %d rows, want 4", st.Total)
			}
			n, err := s.DeleteAuditBefore(ctx, base.Add(1500*time.Millisecond))
			mustOK(t, err)
			if n != 2 {
				t.Errorf("retention deleted %d old rows, want 2", n)
			}

			var indexes []string
			q := "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' ORDER BY name"
			if dialect == "postgres" {
				q = "SELECT indexname FROM pg_indexes WHERE tablename = 'audit_events' AND schemaname = current_schema() ORDER BY indexname"
			}
			rows, err := db.QueryContext(ctx, q)
			mustOK(t, err)
			for rows.Next() {
				var name string
				mustOK(t, rows.Scan(&name))
				indexes = append(indexes, name)
			}
			mustOK(t, rows.Err())
			rows.Close()
			want := []string{"audit_events_pkey", "audit_events_tool", "audit_events_trace", "audit_events_user"}
			if dialect == "sqlite" {
				want = []string{"audit_events_tool", "audit_events_trace", "audit_events_user", "sqlite_autoindex_audit_events_1"}
			}
			if fmt.Sprint(indexes) != fmt.Sprint(want) {
				t.Errorf("audit_events indexes = %v, want %v", indexes, want)
			}
		})
	}
}

// pgPlaceholders turns ? into $1, $2, … (the test's SQL has no other ?).
func pgPlaceholders(q string) string {
	out, n := []byte{}, 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
