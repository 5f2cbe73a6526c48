package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
)

// Regression (issue 10, item 2): a backend's env values and headers (API tokens) were kept
// in the database in clear. Its configuration is now sealed with the master key: the raw
// row shows none of it, the store reads it back; a row written in clear before is still read
// and is sealed at the hub's next open; a wrong or missing key is a clear error, not garbage.
func TestBackendConfigSealedAtRest(t *testing.T) {
	const token, header = "ghp_0123456789abcdefSECRETTOKEN", "Bearer sk-live-HEADERSECRET42"
	config := `{"transport":"stdio","command":"gh-mcp","env":{"GITHUB_TOKEN":"` + token + `"},"headers":{"Authorization":"` + header + `"}}`
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.config(t)
			raw := func(name string) string {
				t.Helper()
				var v string
				db := rawDB(t, cfg)
				q := "SELECT config FROM backends WHERE name = ?"
				if cfg.DatabaseURL != "" {
					q = "SELECT config FROM backends WHERE name = $1"
				}
				if err := db.QueryRowContext(ctx, q, name).Scan(&v); err != nil {
					t.Fatalf("raw row of %s: %v", name, err)
				}
				return v
			}
			s := storetest.Open(t, cfg)
			mustOK(t, s.CreateBackend(ctx, &store.BackendRecord{Name: "gh", Config: config, CreatedBy: "alice"}))
			row := raw("gh")
			if strings.Contains(row, token) || strings.Contains(row, header) || strings.Contains(row, "GITHUB_TOKEN") || !masterkey.IsSealed(row) {
				t.Fatalf("raw row holds the configuration in clear: %s", row)
			}
			if got, err := s.GetBackend(ctx, "gh"); err != nil || got.Config != config {
				t.Fatalf("GetBackend = %+v, %v; want the configuration back", got, err)
			}

			// A row written in clear (before sealing existed) is read, and sealed at the next open.
			db := rawDB(t, cfg)
			q := "INSERT INTO backends (name, config, created_by, created_at, updated_at) VALUES (?, ?, '', ?, ?)"
			var at any = "2025-01-01T00:00:00.000000Z"
			if cfg.DatabaseURL != "" {
				q = "INSERT INTO backends (name, config, created_by, created_at, updated_at) VALUES ($1, $2, '', $3, $4)"
				at = "2025-01-01T00:00:00Z"
			}
			if _, err := db.ExecContext(ctx, q, "old", config, at, at); err != nil {
				t.Fatal(err)
			}
			if got, err := s.GetBackend(ctx, "old"); err != nil || got.Config != config {
				t.Fatalf("plaintext row: %+v, %v", got, err)
			}
			storetest.Open(t, cfg) // as the offline CLI opens it: rows left as they are
			if row := raw("old"); row != config {
				t.Fatalf("an open without SealPlaintext changed the row: %s", row)
			}
			hub := cfg
			hub.SealPlaintext = true // as the hub opens it
			s2 := storetest.Open(t, hub)
			if row := raw("old"); strings.Contains(row, token) || !masterkey.IsSealed(row) {
				t.Fatalf("plaintext row not sealed at open: %s", row)
			}
			if list, err := s2.ListBackends(ctx); err != nil || len(list) != 2 || list[1].Config != config {
				t.Fatalf("ListBackends after sealing = %+v, %v", list, err)
			}

			// Another key: refused, naming both keys and the way out.
			other, err := masterkey.Parse(strings.Repeat("ab", 32))
			mustOK(t, err)
			wrong := cfg
			wrong.MasterKey = other
			s3 := storetest.Open(t, wrong)
			_, err = s3.ListBackends(ctx)
			if !errors.Is(err, masterkey.ErrWrongKey) || !strings.Contains(err.Error(), other.ID()) || !strings.Contains(err.Error(), masterkey.EnvVar) {
				t.Errorf("ListBackends with another key: %v; want ErrWrongKey naming the keys and %s", err, masterkey.EnvVar)
			}
			if _, err := s3.GetBackend(ctx, "gh"); !errors.Is(err, masterkey.ErrWrongKey) {
				t.Errorf("GetBackend with another key: %v", err)
			}
			// The key file lost: a new one is made, and the old rows say so instead of opening.
			mustOK(t, os.Remove(filepath.Join(cfg.DataDir, masterkey.FileName)))
			s4 := storetest.Open(t, cfg)
			if _, err := s4.GetBackend(ctx, "gh"); !errors.Is(err, masterkey.ErrWrongKey) || !strings.Contains(err.Error(), masterkey.FileName) {
				t.Errorf("GetBackend after master.key was lost: %v", err)
			}
			if cfg.DatabaseURL != "" { // no key at all: reads and writes say so
				s5 := storetest.Open(t, store.Config{DatabaseURL: cfg.DatabaseURL})
				if _, err := s5.GetBackend(ctx, "gh"); !errors.Is(err, masterkey.ErrNoKey) {
					t.Errorf("GetBackend without a key: %v", err)
				}
				if err := s5.CreateBackend(ctx, &store.BackendRecord{Name: "new", Config: "{}"}); !errors.Is(err, masterkey.ErrNoKey) {
					t.Errorf("CreateBackend without a key: %v", err)
				}
			}
		})
	}
}
