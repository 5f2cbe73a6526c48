package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Audit events arrive from the audit shipper in batches of hundreds, and the hub pays for
// every row's store write on its own CPU (SQLite runs in the process), so the insert is
// built to cost little per row: one transaction per batch, statements prepared once and
// reused, and no SQL text built per call.
//
//   - SQLite: a multi-row INSERT … VALUES of a fixed set of sizes (64, 32, …, 1 rows), so a
//     batch of any size is a few executions of at most seven prepared statements. They are
//     prepared on the driver's connection and run there (sqliteAudit), past database/sql.
//   - PostgreSQL batches under pgUnnestMin rows: one INSERT … VALUES of exactly their rows
//     (at most 31 prepared statements), one round trip.
//   - PostgreSQL batches from pgUnnestMin rows: one INSERT … SELECT FROM unnest($1::text[], …)
//     with one array per column: 25 parameters whatever the batch size, one prepared
//     statement, and pgx sends the arrays in binary. Below that size encoding 25 short
//     arrays costs more than the VALUES rows (docs/BENCHMARKS.md, Audit).
//
// All skip rows whose (at, id) exists (ON CONFLICT (at, id) DO NOTHING, INSERT OR IGNORE on
// SQLite), so a replayed journal stores each event once: a replayed event has its id and its
// time (migration 0013 made (at, id) the table's key).

const (
	auditColumnCount = 25
	// valuesChunk is the largest VALUES statement: 64 × 25 parameters, far below SQLite's
	// 32766 and PostgreSQL's 65535, and a program small enough to keep prepared.
	valuesChunk = 64
	// pgUnnestMin is the smallest PostgreSQL batch written with unnest.
	pgUnnestMin = 32
	// pgAuditChunk bounds the arrays of one PostgreSQL statement (memory, not a protocol
	// limit: 25 parameters whatever the rows).
	pgAuditChunk = 1000
)

// errStmtClosed: the store was closed during an insert.
var errStmtClosed = errors.New("audit insert: store closed")

// auditStmts holds the prepared audit inserts, made on first use (after migrations) and
// closed with the store.
type auditStmts struct {
	mu     sync.Mutex
	values [pgUnnestMin]*sql.Stmt // by rows; PostgreSQL only
	unnest *sql.Stmt              // PostgreSQL only
	lite   sqliteAudit            // SQLite only
	closed bool
}

// close closes the statements; db is the store's pool, whose driver connection holds
// SQLite's statements.
func (a *auditStmts) close(db *sql.DB) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	a.lite.close(db)
	for i, st := range a.values {
		if st != nil {
			st.Close()
			a.values[i] = nil
		}
	}
	if a.unnest != nil {
		a.unnest.Close()
		a.unnest = nil
	}
}

// auditStmt returns the statement prepared for query in *slot, preparing it if needed.
func (s *sqlStore) auditStmt(ctx context.Context, slot **sql.Stmt, query func() string) (*sql.Stmt, error) {
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	if *slot == nil {
		st, err := s.db.PrepareContext(ctx, query())
		if err != nil {
			return nil, fmt.Errorf("prepare audit insert: %w", err)
		}
		*slot = st
	}
	return *slot, nil
}

func (s *sqlStore) InsertAudit(ctx context.Context, events []AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	for i := range events {
		if events[i].ID == "" || events[i].Time.IsZero() || events[i].Kind == "" {
			return fmt.Errorf("insert audit: event %d: ID, Time and Kind are required", i)
		}
	}
	if s.dialect == dialectSQLite {
		if err := s.insertAuditSQLite(ctx, events); err != nil {
			return fmt.Errorf("insert %d audit events: %w", len(events), mapErr(err))
		}
		return nil
	}
	// Statements are prepared before the transaction, on a connection of their own.
	var insert func(context.Context, *sql.Tx, []AuditEvent) error
	var err error
	if len(events) >= pgUnnestMin {
		insert = s.insertAuditUnnest
		_, err = s.auditStmt(ctx, &s.audit.unnest, pgAuditInsert)
	} else {
		insert, err = s.insertAuditValues, s.prepareAuditValues(ctx, len(events))
	}
	if err == nil {
		err = s.withTx(ctx, func(tx *sql.Tx) error { return insert(ctx, tx, events) })
	}
	if err != nil {
		return fmt.Errorf("insert %d audit events: %w", len(events), mapErr(err))
	}
	return nil
}

// sqliteValuesRows is how many of n rows the next VALUES statement takes on SQLite: the
// largest power of two up to valuesChunk.
func sqliteValuesRows(n int) int {
	return 1 << (bits.Len(uint(min(n, valuesChunk))) - 1)
}

// prepareAuditValues prepares the statement insertAuditValues uses for n rows (PostgreSQL:
// n is under pgUnnestMin, and one statement takes them all).
func (s *sqlStore) prepareAuditValues(ctx context.Context, n int) error {
	_, err := s.auditStmt(ctx, &s.audit.values[n], func() string { return s.valuesAuditInsert(n) })
	return err
}

// insertAuditValues writes events in one statement of exactly their rows (PostgreSQL).
func (s *sqlStore) insertAuditValues(ctx context.Context, tx *sql.Tx, events []AuditEvent) error {
	s.audit.mu.Lock()
	st := s.audit.values[len(events)]
	s.audit.mu.Unlock()
	if st == nil {
		return errStmtClosed
	}
	args := s.appendAuditArgs(make([]any, 0, len(events)*auditColumnCount), events)
	_, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	return err
}

// valuesAuditInsert is a multi-row INSERT of rows rows in the store's dialect. On SQLite it
// is INSERT OR IGNORE: no row can then abort the statement, so SQLite keeps no statement
// journal for it (which spills to a temporary file past 64 KiB: a fifth more CPU per row
// here). It ignores the (at, id) conflict as ON CONFLICT does; no column is ever NULL.
func (s *sqlStore) valuesAuditInsert(rows int) string {
	row := "(?" + strings.Repeat(", ?", auditColumnCount-1) + ")"
	var b strings.Builder
	verb := "INSERT INTO"
	if s.dialect == dialectSQLite {
		verb = "INSERT OR IGNORE INTO"
	}
	b.WriteString(verb + " audit_events (" + auditColumns + ") VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	if s.dialect == dialectPostgres {
		b.WriteString(" ON CONFLICT (at, id) DO NOTHING")
	}
	return s.q(b.String())
}

// appendAuditArgs appends the column values of events, row by row, in auditColumns order
// (PostgreSQL's VALUES statements).
func (s *sqlStore) appendAuditArgs(args []any, events []AuditEvent) []any {
	for i := range events {
		e := &events[i]
		args = append(args, e.ID, s.ts(e.Time))
		for _, v := range auditTexts1(e) {
			args = append(args, cleanText(v))
		}
		args = append(args, int64(e.Duration))
		for _, v := range auditTexts2(e) {
			args = append(args, cleanText(v))
		}
	}
	return args
}

// auditTexts1 and auditTexts2 are the text columns before and after duration_ns.
func auditTexts1(e *AuditEvent) [14]string {
	return [...]string{e.Kind, e.UserID, e.KeyID, e.Caller, e.Role, e.Application, e.Agent,
		e.Backend, e.Tool, e.Risk, e.Decision, e.Rule, e.Status, e.Error}
}

func auditTexts2(e *AuditEvent) [8]string {
	return [...]string{e.TraceID, e.RequestHash, e.ResponseHash, e.Request, e.Response,
		e.Action, e.Target, e.Detail}
}

// insertAuditUnnest writes events as column arrays, pgAuditChunk rows per statement.
func (s *sqlStore) insertAuditUnnest(ctx context.Context, tx *sql.Tx, events []AuditEvent) error {
	s.audit.mu.Lock()
	pg := s.audit.unnest
	s.audit.mu.Unlock()
	if pg == nil {
		return errStmtClosed
	}
	st := tx.StmtContext(ctx, pg)
	for start := 0; start < len(events); start += pgAuditChunk {
		if _, err := st.ExecContext(ctx, pgAuditColumns(events[start:min(start+pgAuditChunk, len(events))])...); err != nil {
			return err
		}
	}
	return nil
}

// pgAuditInsert inserts one row per element of 25 parallel arrays, one per column.
func pgAuditInsert() string {
	var b strings.Builder
	b.WriteString("INSERT INTO audit_events (" + auditColumns + ") SELECT * FROM unnest(")
	for i := 1; i <= auditColumnCount; i++ {
		typ := "text[]"
		switch i {
		case 2:
			typ = "timestamptz[]"
		case 17:
			typ = "bigint[]"
		}
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i) + "::" + typ)
	}
	b.WriteString(") ON CONFLICT (at, id) DO NOTHING")
	return b.String()
}

// pgAuditColumns turns events into the 25 column arrays of pgAuditInsert. The text arrays
// share one backing slice.
func pgAuditColumns(events []AuditEvent) []any {
	n := len(events)
	texts := make([]string, (auditColumnCount-2)*n)
	col := func(c int) []string { return texts[c*n : (c+1)*n : (c+1)*n] }
	ids, ats, durs := col(0), make([]time.Time, n), make([]int64, n)
	for i := range events {
		e := &events[i]
		ids[i], ats[i], durs[i] = e.ID, e.Time.UTC().Truncate(time.Microsecond), int64(e.Duration)
		for c, v := range auditTexts1(e) {
			texts[(1+c)*n+i] = cleanText(v)
		}
		for c, v := range auditTexts2(e) {
			texts[(15+c)*n+i] = cleanText(v)
		}
	}
	args := make([]any, 0, auditColumnCount)
	args = append(args, ids, ats)
	for c := 1; c <= 14; c++ {
		args = append(args, col(c))
	}
	args = append(args, durs)
	for c := 15; c <= 22; c++ {
		args = append(args, col(c))
	}
	return args
}

// cleanText replaces what PostgreSQL refuses in TEXT — NUL and invalid UTF-8 — with U+FFFD,
// on both dialects so that they store the same. One bad event must not fail its batch: the
// audit shipper would retry that batch forever.
func cleanText(v string) string {
	if utf8.ValidString(v) && strings.IndexByte(v, 0) < 0 {
		return v
	}
	return strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "\uFFFD")
}
