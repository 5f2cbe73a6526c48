// Package storetest gives tests a fresh, migrated store: SQLite in a temporary directory,
// or PostgreSQL in a schema of its own that is dropped afterwards.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// DefaultPostgresURL is the test database used when MCPGW_TEST_DATABASE_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// New returns a fresh SQLite store in t.TempDir(), closed when the test ends.
func New(t testing.TB) store.Store {
	t.Helper()
	return Open(t, store.Config{DataDir: t.TempDir()})
}

// Open opens cfg and closes the store when the test ends; it fails the test on error.
func Open(t testing.TB, cfg store.Config) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// PostgresURL creates a fresh schema in the test PostgreSQL (MCPGW_TEST_DATABASE_URL, else
// DefaultPostgresURL) and returns a URL whose search_path points at it; the schema is
// dropped when the test ends. If the server is unreachable the test is skipped, or fails
// when the environment variable CI is true, so CI never silently loses the PostgreSQL run.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("MCPGW_TEST_DATABASE_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if admin != nil {
			admin.Close()
		}
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("PostgreSQL not reachable at %s and CI is set: %v", redact(base), err)
		}
		t.Skipf("PostgreSQL not reachable at %s (set MCPGW_TEST_DATABASE_URL): %v", redact(base), err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", redact(base), err)
	}
	q := u.Query()
	q.Set("search_path", schema) // sent as a startup parameter by pgx
	u.RawQuery = q.Encode()
	return u.String()
}

// NewPostgres returns a fresh PostgreSQL store in its own schema; see PostgresURL.
func NewPostgres(t testing.TB) store.Store {
	t.Helper()
	return Open(t, store.Config{DatabaseURL: PostgresURL(t), DataDir: t.TempDir()}) // DataDir: master.key
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
