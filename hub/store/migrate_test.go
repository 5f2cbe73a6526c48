package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// rawDB opens the database behind cfg without the store, to look at the schema itself.
func rawDB(t *testing.T, cfg store.Config) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", cfg.DatabaseURL
	if dsn == "" {
		driver, dsn = "sqlite", "file:"+filepath.Join(cfg.DataDir, "hub.db")
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrationsIdempotent(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.config(t)
			s1, err := store.Open(ctx, cfg)
			mustOK(t, err)
			mustOK(t, s1.CreateUser(ctx, &store.User{ID: "u1", Name: "alice", Role: "owner"}))
			mustOK(t, s1.Close())

			s2 := storetest.Open(t, cfg)
			if _, err := s2.GetUser(ctx, "u1"); err != nil {
				t.Fatalf("data lost on reopen: %v", err)
			}
			var rows, max int
			err = rawDB(t, cfg).QueryRowContext(ctx, "SELECT COUNT(*), MAX(version) FROM schema_migrations").Scan(&rows, &max)
			mustOK(t, err)
			if rows != max || rows < 1 {
				t.Errorf("schema_migrations has %d rows, max version %d", rows, max)
			}
		})
	}
}

// Several hubs (or the CLI and a hub) may open a fresh database at the same moment.
func TestMigrationsConcurrentOpen(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cfg := b.config(t)
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() {
					s, err := store.Open(context.Background(), cfg)
					if err == nil {
						s.Close()
					}
					errs[i] = err
				})
			}
			wg.Wait()
			mustOK(t, errors.Join(errs...))
		})
	}
}

func TestMigrationsRefuseNewerSchema(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.config(t)
			s, err := store.Open(ctx, cfg)
			mustOK(t, err)
			s.Close()
			_, err = rawDB(t, cfg).ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, '2030-01-01T00:00:00.000000Z')")
			mustOK(t, err)
			if _, err := store.Open(ctx, cfg); err == nil || !strings.Contains(err.Error(), "newer") {
				t.Errorf("Open on a newer schema = %v, want a refusal", err)
			}
		})
	}
}

func TestOpenConfig(t *testing.T) {
	ctx := context.Background()
	if _, err := store.Open(ctx, store.Config{}); err == nil {
		t.Error("Open without DataDir succeeded")
	}
	_, err := store.Open(ctx, store.Config{DatabaseURL: "mysql://root:secret@db/x"})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open(mysql://…) = %v, want an error that does not echo the URL", err)
	}

	dir := filepath.Join(t.TempDir(), "nested", "data")
	storetest.Open(t, store.Config{DataDir: dir})
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "hub.db"): 0o600} {
		fi, err := os.Stat(path)
		mustOK(t, err)
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	var mode string
	mustOK(t, rawDB(t, store.Config{DataDir: dir}).QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}
