package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"
)

// On SQLite the audit insert runs on the driver's connection itself, reached with
// (*sql.Conn).Raw, and executes statements the driver prepared: through database/sql each
// of a row's 25 arguments is checked and converted on every execution, and each argument
// list is a fresh []any of fresh boxed values. Here one argument list is reused from batch to
// batch, and a text equal to the one of the row before in its column (the kind, the caller,
// the backend, … of a busy hub's calls) reuses that row's boxed value: most of a
// row's allocations go. The driver still copies each text into C memory to bind it.
// docs/BENCHMARKS.md, Audit, sixth pass.

// sqliteDriverConn is what the insert needs of the SQLite driver's connection.
type sqliteDriverConn interface {
	driver.ConnPrepareContext
	driver.ConnBeginTx
}

// sqliteAudit holds the audit inserts prepared on SQLite's driver connection, and the
// argument list they reuse. It is used under auditStmts.mu.
type sqliteAudit struct {
	conn  sqliteDriverConn               // the connection stmts were prepared on
	stmts [valuesChunk + 1]driver.Stmt   // by rows: valuesAuditInsert(rows)
	args  []driver.NamedValue            // one statement's arguments, Ordinal set
	last  [auditColumnCount]string       // the previous row's texts
	boxed [auditColumnCount]driver.Value // and their boxed values
	ts    []byte                         // one statement's times, formatted
}

// insertAuditSQLite stores events in one transaction on the pool's one connection.
func (s *sqlStore) insertAuditSQLite(ctx context.Context, events []AuditEvent) error {
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	if s.audit.closed {
		return errStmtClosed
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error { return s.audit.lite.insert(ctx, dc, s.valuesAuditInsert, events) })
}

// insert prepares what events need on dc (query(rows) is the statement of rows rows) and
// runs them in one transaction.
func (l *sqliteAudit) insert(ctx context.Context, dc any, query func(rows int) string, events []AuditEvent) (err error) {
	conn, ok := dc.(sqliteDriverConn)
	if !ok {
		return fmt.Errorf("audit insert: driver connection %T lacks PrepareContext or BeginTx", dc)
	}
	if l.conn != conn {
		// database/sql replaced the connection (it closes one only when the driver reports
		// it broken): the statements went with the old one, and finalizing them there now
		// is not safe. They are dropped.
		l.stmts = [valuesChunk + 1]driver.Stmt{}
		l.conn = conn
	}
	for n := len(events); n > 0; {
		rows := sqliteValuesRows(n)
		n -= (n / rows) * rows
		if l.stmts[rows] != nil {
			continue
		}
		st, err := conn.PrepareContext(ctx, query(rows))
		if err != nil {
			return fmt.Errorf("prepare audit insert: %w", err)
		}
		if _, ok := st.(driver.StmtExecContext); !ok {
			st.Close()
			return fmt.Errorf("audit insert: driver statement %T lacks ExecContext", st)
		}
		l.stmts[rows] = st
	}
	tx, err := conn.BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	// The boxed values of the last batch are not reused: they would keep its strings alive.
	l.last, l.boxed = [auditColumnCount]string{}, [auditColumnCount]driver.Value{}
	for len(events) > 0 {
		rows := sqliteValuesRows(len(events))
		args := l.fill(events[:rows])
		_, err = l.stmts[rows].(driver.StmtExecContext).ExecContext(ctx, args)
		for i := range args {
			args[i].Value = nil // not to keep the batch's strings alive
		}
		if err != nil {
			return err
		}
		events = events[rows:]
	}
	return tx.Commit()
}

// fill sets l.args to the column values of events, row by row, in auditColumns order, and
// returns them.
func (l *sqliteAudit) fill(events []AuditEvent) []driver.NamedValue {
	n := len(events) * auditColumnCount
	for len(l.args) < n {
		l.args = append(l.args, driver.NamedValue{Ordinal: len(l.args) + 1})
	}
	args := l.args[:n]
	l.ts = l.ts[:0]
	for i := range events {
		l.ts = events[i].Time.UTC().Truncate(time.Microsecond).AppendFormat(l.ts, sqliteTime)
	}
	times := string(l.ts) // one string for all, each row's a part of it
	const tsLen = len(sqliteTime)
	k := 0
	for i := range events {
		e := &events[i]
		args[k].Value, args[k+1].Value = e.ID, times[i*tsLen:(i+1)*tsLen]
		k += 2
		for c, v := range auditTexts1(e) {
			args[k].Value = l.text(2+c, v)
			k++
		}
		args[k].Value = int64(e.Duration)
		k++
		for c, v := range auditTexts2(e) {
			args[k].Value = l.text(17+c, v)
			k++
		}
	}
	return args
}

// text is the value to bind for v in column col: cleanText(v), boxed once for a run of rows
// with the same text in the column.
func (l *sqliteAudit) text(col int, v string) driver.Value {
	if v == "" {
		return "" // boxing the empty string allocates nothing
	}
	if v == l.last[col] && l.boxed[col] != nil {
		return l.boxed[col]
	}
	b := driver.Value(cleanText(v))
	l.last[col], l.boxed[col] = v, b
	return b
}

// close finalizes the statements on db's connection, if it is still the one they were
// prepared on.
func (l *sqliteAudit) close(db *sql.DB) {
	if l.conn == nil {
		return
	}
	defer func() { l.conn, l.stmts = nil, [valuesChunk + 1]driver.Stmt{} }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := db.Conn(ctx)
	if err != nil {
		return
	}
	defer c.Close()
	c.Raw(func(dc any) error {
		if conn, ok := dc.(sqliteDriverConn); ok && conn == l.conn {
			for _, st := range l.stmts {
				if st != nil {
					st.Close()
				}
			}
		}
		return nil
	})
}
