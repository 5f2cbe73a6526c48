package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
)

const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"

	// sqliteTime is fixed-width so that SQLite compares timestamps correctly as text.
	// Microseconds match PostgreSQL's precision, so both dialects round-trip the same value.
	sqliteTime = "2006-01-02T15:04:05.000000Z"
)

// sqlStore implements Store on database/sql for both dialects. Queries are written with
// ? placeholders and rebound to $n for PostgreSQL.
type sqlStore struct {
	db      *sql.DB
	bulk    *sql.DB // SQLite: connections for the long reads of whole tables, beside db's one; nil: db
	dialect string
	audit   auditStmts
	key     *masterkey.Key // seals backends.config; nil: none (see Config.MasterKey)
	sealOld bool           // Config.SealPlaintext
}

var _ Store = (*sqlStore)(nil)

func openSQLite(ctx context.Context, dir string, key *masterkey.Key, sealOld bool) (*sqlStore, error) {
	if dir == "" {
		return nil, errors.New("open sqlite store: DataDir is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	path := filepath.Join(dir, "hub.db")
	// Create the file ourselves so it is private; SQLite gives -wal and -shm the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	f.Close()

	// _txlock=immediate takes the write lock at BEGIN, so a transaction never fails
	// half-way with SQLITE_BUSY when the CLI writes while the hub runs.
	//
	// wal_autocheckpoint(10000): checkpoint after ≈ 40 MiB of WAL instead of SQLite's 4 MiB.
	// The audit shipper rewrites the same hot pages (index tails, interior pages) in every
	// batch; between two checkpoints each goes to the database file once, so fewer
	// checkpoints write fewer pages: ≈ 10 % less CPU per audit row (docs/BENCHMARKS.md,
	// Audit). Durability is unchanged: a commit is in the WAL whenever it checkpoints. The
	// cost is a WAL file of up to ≈ 40 MiB (SQLite keeps its largest size).
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	// One connection: a single writer, and no reader can see a half-migrated schema.
	// The hot path reads from in-memory caches, not from here.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	st, err := finishOpen(ctx, &sqlStore{db: db, dialect: dialectSQLite, key: key, sealOld: sealOld})
	if err != nil {
		return nil, err
	}
	// The reads of whole tables at start (10,000 keys, 50,000 tool states: issue 11, cold
	// start) run in the background on connections of their own, opened after the schema is
	// migrated: in WAL mode they neither wait for nor block db's one connection, so /readyz
	// and the writes are not queued behind them.
	if st.bulk, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	st.bulk.SetMaxOpenConns(2)
	st.bulk.SetMaxIdleConns(0) // read at start and on the periodic refreshes only
	return st, nil
}

// reads returns the pool for long reads of whole tables.
func (s *sqlStore) reads() *sql.DB {
	if s.bulk != nil {
		return s.bulk
	}
	return s.db
}

func openPostgres(ctx context.Context, url string, key *masterkey.Key, sealOld bool) (*sqlStore, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	db.SetMaxOpenConns(10)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return finishOpen(ctx, &sqlStore{db: db, dialect: dialectPostgres, key: key, sealOld: sealOld})
}

func finishOpen(ctx context.Context, s *sqlStore) (*sqlStore, error) {
	if err := s.ping(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open %s store: %w", s.dialect, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open %s store: %w", s.dialect, err)
	}
	if err := s.sealBackends(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open %s store: %w", s.dialect, err)
	}
	return s, nil
}

// ping opens the first connection. SQLite answers SQLITE_BUSY without waiting when two
// processes switch a new database to WAL at the same moment, so that is retried briefly.
func (s *sqlStore) ping(ctx context.Context) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = s.db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || attempt == 50 || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		}
	}
}

func (s *sqlStore) Dialect() string { return s.dialect }

func (s *sqlStore) Close() error {
	s.audit.close(s.db)
	if s.bulk != nil {
		s.bulk.Close()
	}
	return s.db.Close()
}

// q rebinds ? placeholders to $1, $2, … for PostgreSQL. Queries here never contain a
// literal question mark.
func (s *sqlStore) q(query string) string {
	if s.dialect != dialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ts encodes a time for the dialect: TIMESTAMPTZ on PostgreSQL, fixed-width UTC text on SQLite.
func (s *sqlStore) ts(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if s.dialect == dialectSQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// tsPtr is ts for optional times; nil becomes NULL.
func (s *sqlStore) tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.ts(*t)
}

// now is the current time at the precision the database keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// withTx runs fn in a transaction, committing if it returns nil.
func (s *sqlStore) withTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// execOne runs a statement that must affect exactly one row; none is ErrNotFound.
func (s *sqlStore) execOne(ctx context.Context, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// mapErr turns driver errors that callers branch on into the package's sentinels,
// keeping the driver error in the chain for the message.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
	}
	return err
}

// newID returns prefix + 16 random hex characters.
func newID(prefix string) string {
	var b [8]byte
	rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return prefix + hex.EncodeToString(b[:])
}

// scanTime reads a timestamp column from either dialect, NULL included.
type scanTime struct{ t *time.Time }

func (st scanTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*st.t = time.Time{}
		return nil
	case time.Time:
		*st.t = v.UTC()
		return nil
	case string:
		return st.parse(v)
	case []byte:
		return st.parse(string(v))
	default:
		return fmt.Errorf("scan time: unsupported type %T", v)
	}
}

func (st scanTime) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("scan time %q: %w", v, err)
	}
	*st.t = t.UTC()
	return nil
}

// optTime converts a scanned zero time to nil.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// nullStr maps "" to NULL, for optional references.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
