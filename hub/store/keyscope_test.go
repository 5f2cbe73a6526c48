package store_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// A key stored before scopes existed keeps working as "all" after the upgrade (migration
// key_scope): the hub must not lock out every running client and the operator's own CLI at once.
// The database is built by the earlier migrations, as an old hub left it.
func TestKeyScopeMigrationKeepsOldKeysAsAll(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.config(t)
			dialect := "postgres"
			tsType := "TIMESTAMPTZ"
			if cfg.DatabaseURL == "" {
				dialect, tsType = "sqlite", "TEXT"
				mustOK(t, os.MkdirAll(cfg.DataDir, 0o700))
			}
			db := rawDB(t, cfg)
			files, err := filepath.Glob(filepath.Join("migrations", dialect, "*.sql"))
			mustOK(t, err)
			sort.Strings(files)
			_, err = db.ExecContext(ctx, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at "+tsType+" NOT NULL)")
			mustOK(t, err)
			applied := 0
			for i, f := range files {
				if strings.HasSuffix(filepath.Base(f), "_key_scope.sql") {
					break
				}
				raw, err := os.ReadFile(f)
				mustOK(t, err)
				if _, err := db.ExecContext(ctx, string(raw)); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				_, err = db.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ("+
					strconv.Itoa(i+1)+", '2026-01-01T00:00:00.000000Z')")
				mustOK(t, err)
				applied++
			}
			if applied < 6 || applied == len(files) {
				t.Fatalf("applied %d of %d migrations before key_scope, want every one before it", applied, len(files))
			}
			for _, q := range []string{
				"INSERT INTO users (id, name, role, created_at, updated_at) VALUES ('u1', 'alice', 'owner', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
				"INSERT INTO api_keys (id, name, prefix, hash, kind, user_id, created_at) VALUES ('key_old', 'old', 'mcpgw_abcdef', 'h-old', 'user', 'u1', '2026-01-01T00:00:00.000000Z')",
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			db.Close()

			s, err := store.Open(ctx, cfg)
			mustOK(t, err)
			defer s.Close()
			k, err := s.GetKey(ctx, "key_old")
			mustOK(t, err)
			if k.Scope != store.ScopeAll {
				t.Errorf("a key from before scopes has scope %q after the upgrade, want %q", k.Scope, store.ScopeAll)
			}
			// A key made now without a scope gets the narrowest useful one.
			nk := &store.APIKey{Name: "new", Prefix: "mcpgw_123456", Hash: "h-new", Kind: store.KindUser, UserID: "u1"}
			mustOK(t, s.CreateKey(ctx, nk))
			if got, err := s.GetKey(ctx, nk.ID); err != nil || got.Scope != store.ScopeMCP {
				t.Errorf("a new key without a scope: %+v, %v; want scope %q", got, err, store.ScopeMCP)
			}
		})
	}
}

// Every scope is stored and read back; anything else is refused with a message naming it,
// and the schema's CHECK refuses it too when the store's own check is bypassed.
func TestKeyScopes(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.config(t)
			s, err := store.Open(ctx, cfg)
			mustOK(t, err)
			defer s.Close()
			u := &store.User{Name: "alice", Role: "owner"}
			mustOK(t, s.CreateUser(ctx, u))
			for _, scope := range []string{store.ScopeMCP, store.ScopeAdmin, store.ScopeAll} {
				k := &store.APIKey{Name: scope, Prefix: "mcpgw_" + scope, Hash: "h-" + scope, Kind: store.KindUser, UserID: u.ID, Scope: scope}
				mustOK(t, s.CreateKey(ctx, k))
				got, err := s.GetKey(ctx, k.ID)
				mustOK(t, err)
				if got.Scope != scope {
					t.Errorf("stored scope %q, read %q", scope, got.Scope)
				}
			}
			bad := &store.APIKey{Name: "bad", Prefix: "mcpgw_bad", Hash: "h-bad", Kind: store.KindUser, UserID: u.ID, Scope: "root"}
			if err := s.CreateKey(ctx, bad); err == nil || !strings.Contains(err.Error(), `"root"`) {
				t.Errorf("scope root: err = %v, want a refusal naming it", err)
			}
			a := &store.Agent{ID: "laptop", Name: "laptop"}
			mustOK(t, s.CreateAgent(ctx, a))
			ak := &store.APIKey{Name: "agent", Prefix: "mcpgw_agent", Hash: "h-agent", Kind: store.KindAgent, AgentID: a.ID}
			mustOK(t, s.CreateKey(ctx, ak))
			if ak.Scope != store.ScopeAll {
				t.Errorf("agent key scope %q, want %q (scopes do not apply to agent tunnels)", ak.Scope, store.ScopeAll)
			}
			_, err = rawDB(t, cfg).ExecContext(ctx, "UPDATE api_keys SET scope = 'root' WHERE id = '"+ak.ID+"'")
			if err == nil {
				t.Error("the schema accepted scope 'root'")
			}
		})
	}
}
