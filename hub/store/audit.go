package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const auditColumns = "id, at, kind, user_id, key_id, caller, role, application, agent, backend, tool, risk," +
	" decision, rule, status, error, duration_ns, trace_id, request_hash, response_hash, request, response," +
	" action, target, detail"

const (
	// auditDeleteRows bounds one DELETE, so retention never holds SQLite's write lock long.
	auditDeleteRows   = 5000
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

func (s *sqlStore) QueryAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, string, error) {
	where, args := s.auditWhere(q)
	if q.Cursor != "" {
		at, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, "", fmt.Errorf("query audit: %w", err)
		}
		where = append(where, "(at < ? OR (at = ? AND id < ?))")
		args = append(args, s.ts(at), s.ts(at), id)
	}
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = defaultAuditLimit
	case limit > maxAuditLimit:
		limit = maxAuditLimit
	}
	// One row more than asked tells whether there is a next page.
	query := "SELECT " + auditColumns + " FROM audit_events" + whereClause(where) +
		" ORDER BY at DESC, id DESC LIMIT " + strconv.Itoa(limit+1)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, "", fmt.Errorf("query audit: %w", mapErr(err))
	}
	defer rows.Close()
	var evs []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var dur int64
		if err := rows.Scan(&e.ID, scanTime{&e.Time}, &e.Kind, &e.UserID, &e.KeyID, &e.Caller, &e.Role,
			&e.Application, &e.Agent, &e.Backend, &e.Tool, &e.Risk, &e.Decision, &e.Rule, &e.Status,
			&e.Error, &dur, &e.TraceID, &e.RequestHash, &e.ResponseHash, &e.Request, &e.Response,
			&e.Action, &e.Target, &e.Detail); err != nil {
			return nil, "", fmt.Errorf("query audit: %w", err)
		}
		e.Duration = time.Duration(dur)
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("query audit: %w", mapErr(err))
	}
	next := ""
	if len(evs) > limit {
		evs = evs[:limit]
		last := evs[limit-1]
		next = encodeCursor(last.Time, last.ID)
	}
	return evs, next, nil
}

// auditWhere turns the query's filters into conditions and arguments.
func (s *sqlStore) auditWhere(q AuditQuery) ([]string, []any) {
	var where []string
	var args []any
	if !q.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, s.ts(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, s.ts(q.To))
	}
	for _, f := range []struct{ col, v string }{
		{"user_id", q.UserID}, {"agent", q.Agent}, {"backend", q.Backend}, {"tool", q.Tool},
		{"kind", q.Kind}, {"status", q.Status}, {"decision", q.Decision},
		{"application", q.Application}, {"trace_id", q.TraceID}, {"key_id", q.KeyID},
	} {
		if f.v != "" {
			where, args = append(where, f.col+" = ?"), append(args, f.v)
		}
	}
	return where, args
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// A cursor is the (time, id) of the last event of a page, base64url-encoded as
// "<unix microseconds>:<id>". It is opaque to callers.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + ":" + id))
}

func decodeCursor(c string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", ErrBadCursor
	}
	us, id, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", ErrBadCursor
	}
	return time.UnixMicro(n).UTC(), id, nil
}

func (s *sqlStore) AuditStats(ctx context.Context, q AuditQuery) (AuditStats, error) {
	st := AuditStats{ByStatus: map[string]int64{}, ByDecision: map[string]int64{}, ByKind: map[string]int64{}}
	where, args := s.auditWhere(q)
	rows, err := s.db.QueryContext(ctx, s.q("SELECT kind, status, decision, COUNT(*) FROM audit_events"+
		whereClause(where)+" GROUP BY kind, status, decision"), args...)
	if err != nil {
		return st, fmt.Errorf("audit stats: %w", mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var kind, status, decision string
		var n int64
		if err := rows.Scan(&kind, &status, &decision, &n); err != nil {
			return st, fmt.Errorf("audit stats: %w", err)
		}
		st.Total += n
		st.ByKind[kind] += n
		st.ByStatus[status] += n
		st.ByDecision[decision] += n
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("audit stats: %w", mapErr(err))
	}
	return st, nil
}

var usageColumns = map[string]string{
	"": "tool", UsageByTool: "tool", UsageByUser: "user_id", UsageByAgent: "agent",
	UsageByBackend: "backend", UsageByApplication: "application",
}

func (s *sqlStore) AuditUsage(ctx context.Context, q UsageQuery) ([]UsageRow, error) {
	col, ok := usageColumns[q.By]
	if !ok {
		return nil, fmt.Errorf("audit usage: cannot group by %q (want tool, user, agent, backend or application)", q.By)
	}
	bucket := q.Bucket
	if bucket == 0 {
		bucket = time.Hour
	}
	if bucket < time.Second || bucket%time.Second != 0 {
		return nil, fmt.Errorf("audit usage: bucket %s is not a whole number of seconds (at least 1s)", bucket)
	}
	secs := int64(bucket / time.Second)
	epoch := "CAST(strftime('%s', at) AS INTEGER)"
	if s.dialect == dialectPostgres {
		epoch = "CAST(FLOOR(EXTRACT(EPOCH FROM at)) AS BIGINT)"
	}
	where, args := s.auditWhere(AuditQuery{From: q.From, To: q.To, UserID: q.UserID})
	where = append(where, "kind IN ('call', 'denied')")
	bucketExpr := "(" + epoch + " / " + strconv.FormatInt(secs, 10) + ") * " + strconv.FormatInt(secs, 10)
	query := "SELECT " + bucketExpr + " AS b, " + col + ", COUNT(*)," +
		" SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END)," +
		" SUM(CASE WHEN status = 'denied' THEN 1 ELSE 0 END)," +
		" CAST(COALESCE(AVG(CASE WHEN status <> 'denied' THEN duration_ns END), 0) AS DOUBLE PRECISION)" +
		" FROM audit_events" + whereClause(where) + " GROUP BY b, " + col + " ORDER BY b, " + col
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("audit usage: %w", mapErr(err))
	}
	defer rows.Close()
	var out []UsageRow
	for rows.Next() {
		var r UsageRow
		var b int64
		var avg float64
		if err := rows.Scan(&b, &r.Key, &r.Calls, &r.Errors, &r.Denied, &avg); err != nil {
			return nil, fmt.Errorf("audit usage: %w", err)
		}
		r.Bucket = time.Unix(b, 0).UTC()
		r.AvgDuration = time.Duration(avg)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit usage: %w", mapErr(err))
	}
	return out, nil
}

func (s *sqlStore) DeleteAuditBefore(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	// (at, id) is the table's key: the inner scan and the deletes both walk its index.
	query := s.q("DELETE FROM audit_events WHERE (at, id) IN (SELECT at, id FROM audit_events WHERE at < ? ORDER BY at, id LIMIT " +
		strconv.Itoa(auditDeleteRows) + ")")
	for {
		res, err := s.db.ExecContext(ctx, query, s.ts(t))
		if err != nil {
			return total, fmt.Errorf("delete audit before %s: %w", t.Format(time.RFC3339), mapErr(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("delete audit before %s: %w", t.Format(time.RFC3339), err)
		}
		total += n
		if n < auditDeleteRows {
			return total, nil
		}
	}
}
