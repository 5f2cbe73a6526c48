//go:build unix

package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// BenchmarkAuditQueries times the audit view's queries (QueryAudit, AuditStats) on a SQLite
// audit table of MCPGW_AUDIT_QUERY_ROWS events (e.g. 1000000) kept in MCPGW_AUDIT_QUERY_DIR,
// so that two builds can be compared on the same rows: the first run fills the table, the
// next ones reuse it (a newer build migrates it on open, which is timed and reported). It
// also logs each query's plan. Skipped unless both are set:
//
//	MCPGW_AUDIT_QUERY_ROWS=1000000 MCPGW_AUDIT_QUERY_DIR=/tmp/q \
//	    go test -run '^$' -bench AuditQueries -benchtime 20x ./hub/store/
//
// The rows: 30 days, 50 users (user 0 makes a fifth of the calls), 200 tools (tool 0 a
// tenth; tool 199 one call in 10,000), 2 % denied, time-first trace ids, ≈ 850-byte rows.
func BenchmarkAuditQueries(b *testing.B) {
	rows, _ := strconv.Atoi(os.Getenv("MCPGW_AUDIT_QUERY_ROWS"))
	dir := os.Getenv("MCPGW_AUDIT_QUERY_DIR")
	if rows <= 0 || dir == "" {
		b.Skip("set MCPGW_AUDIT_QUERY_ROWS and MCPGW_AUDIT_QUERY_DIR")
	}
	ctx := context.Background()
	start := time.Now()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.Logf("open (and migrate) took %s", time.Since(start).Round(time.Millisecond))
	span := 30 * 24 * time.Hour
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return base.Add(time.Duration(int64(span) / int64(rows) * int64(i))) }
	ev := func(i int) store.AuditEvent {
		e := benchAuditEvent(i)
		e.Time = at(i)
		e.ID = fmt.Sprintf("%013d%013d", e.Time.UnixMilli(), i)
		e.TraceID = fmt.Sprintf("%012x%s", e.Time.UnixMilli(), benchTraceID(i)[12:])
		switch u := i % 50; {
		case i%5 == 0:
			e.UserID = "usr_0"
		default:
			e.UserID = "usr_" + strconv.Itoa(u)
		}
		switch {
		case i%10 == 0:
			e.Tool = "tool_0"
		case i%10000 == 7:
			e.Tool = "tool_199"
		default:
			e.Tool = "tool_" + strconv.Itoa(1+i%198)
		}
		if i%50 == 3 {
			e.Kind, e.Status, e.Decision = store.AuditDenied, "denied", "deny"
		}
		return e
	}
	have, err := st.AuditStats(ctx, store.AuditQuery{})
	if err != nil {
		b.Fatal(err)
	}
	if have.Total < int64(rows) {
		start := time.Now()
		batch := make([]store.AuditEvent, 0, 1000)
		for i := int(have.Total); i < rows; i++ {
			batch = append(batch, ev(i))
			if len(batch) == cap(batch) || i == rows-1 {
				if err := st.InsertAudit(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		b.Logf("filled %d rows in %s", rows-int(have.Total), time.Since(start).Round(time.Millisecond))
	}
	mid := at(rows / 2)
	page, cursor, err := st.QueryAudit(ctx, store.AuditQuery{Limit: 100})
	if err != nil || len(page) != 100 {
		b.Fatal(err, len(page))
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "hub.db")+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		name string
		q    store.AuditQuery
		plan string // the WHERE of the query, for EXPLAIN QUERY PLAN
	}{
		{"newest", store.AuditQuery{Limit: 100}, ""},
		{"page2", store.AuditQuery{Limit: 100, Cursor: cursor}, "(at < '2026-12-01' OR (at = '2026-12-01' AND id < 'x'))"},
		{"user_common", store.AuditQuery{Limit: 100, UserID: "usr_0"}, "user_id = 'usr_0'"},
		{"user_rare", store.AuditQuery{Limit: 100, UserID: "usr_7"}, "user_id = 'usr_7'"},
		{"tool_common", store.AuditQuery{Limit: 100, Tool: "tool_0"}, "tool = 'tool_0'"},
		{"tool_rare", store.AuditQuery{Limit: 100, Tool: "tool_199"}, "tool = 'tool_199'"},
		{"trace", store.AuditQuery{Limit: 100, TraceID: ev(rows / 3).TraceID}, "trace_id = 'x'"},
		{"hour_window", store.AuditQuery{Limit: 100, From: mid, To: mid.Add(time.Hour)}, "at >= '2026-11-16' AND at < '2026-11-17'"},
		{"denied", store.AuditQuery{Limit: 100, Kind: store.AuditDenied}, "kind = 'denied'"},
		{"user_tool_day", store.AuditQuery{Limit: 100, UserID: "usr_7", Tool: "tool_7", From: mid, To: mid.Add(24 * time.Hour)}, "user_id = 'usr_7' AND tool = 'tool_7' AND at >= '2026-11-16' AND at < '2026-11-17'"},
	} {
		where := ""
		if c.plan != "" {
			where = " WHERE " + c.plan
		}
		if plan, err := queryPlan(db, "SELECT * FROM audit_events"+where+" ORDER BY at DESC, id DESC LIMIT 101"); err == nil {
			b.Logf("%s: %s", c.name, plan)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := st.QueryAudit(ctx, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("stats_day", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.AuditStats(ctx, store.AuditQuery{From: mid, To: mid.Add(24 * time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func queryPlan(db *sql.DB, q string) (string, error) {
	rows, err := db.Query("EXPLAIN QUERY PLAN " + q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	out := ""
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		if out != "" {
			out += "; "
		}
		out += detail
	}
	return out, rows.Err()
}
