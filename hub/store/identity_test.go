package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// identitySuite covers users' login state, roles and settings, on every backend.
var identitySuite = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"UserFields", testUserFields},
	{"UserNamesUnique", testUserNamesUnique},
	{"UpdateUser", testUpdateUser},
	{"DeleteUserCascadesKeys", testDeleteUser},
	{"PasswordAndLockout", testPasswordAndLockout},
	{"ConcurrentLoginFailures", testConcurrentLoginFailures},
	{"KeyApplication", testKeyApplication},
	{"Roles", testRoles},
	{"Settings", testSettings},
}

func TestIdentityStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range identitySuite {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, storetest.Open(t, b.config(t)))
				})
			}
		})
	}
}

func testUserFields(t *testing.T, s store.Store) {
	ctx := context.Background()
	locked := time.Date(2031, 1, 1, 0, 0, 0, 5000, time.UTC)
	u := &store.User{Name: "carol", Role: "viewer", PasswordHash: "$argon2id$x", Disabled: true, FailedLogins: 3, LockedUntil: &locked}
	mustOK(t, s.CreateUser(ctx, u))
	if u.UpdatedAt != u.CreatedAt {
		t.Errorf("UpdatedAt %v, want CreatedAt %v", u.UpdatedAt, u.CreatedAt)
	}
	for _, get := range []func() (*store.User, error){
		func() (*store.User, error) { return s.GetUser(ctx, u.ID) },
		func() (*store.User, error) { return s.GetUserByName(ctx, "carol") },
	} {
		got, err := get()
		mustOK(t, err)
		if !sameUser(got, u) {
			t.Errorf("got %+v, want %+v", got, u)
		}
	}
	_, err := s.GetUserByName(ctx, "Carol") // names are case-sensitive
	wantIs(t, err, store.ErrNotFound)
	plain := &store.User{Name: "dave", Role: "viewer"}
	mustOK(t, s.CreateUser(ctx, plain))
	got, err := s.GetUser(ctx, plain.ID)
	mustOK(t, err)
	if got.PasswordHash != "" || got.Disabled || got.FailedLogins != 0 || got.LockedUntil != nil {
		t.Errorf("defaults = %+v", got)
	}
}

func testUserNamesUnique(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustOK(t, s.CreateUser(ctx, &store.User{Name: "alice", Role: "owner"}))
	wantIs(t, s.CreateUser(ctx, &store.User{Name: "alice", Role: "viewer"}), store.ErrConflict)
	bob := &store.User{Name: "bob", Role: "viewer"}
	mustOK(t, s.CreateUser(ctx, bob))
	bob.Name = "alice"
	wantIs(t, s.UpdateUser(ctx, bob), store.ErrConflict)
}

func testUpdateUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := &store.User{Name: "erin", Role: "viewer", PasswordHash: "h", CreatedAt: time.Now().Add(-time.Hour)}
	mustOK(t, s.CreateUser(ctx, u))
	before := u.UpdatedAt
	u.Name, u.Role, u.Disabled = "erin2", "operator", true
	u.PasswordHash = "ignored" // not UpdateUser's business
	mustOK(t, s.UpdateUser(ctx, u))
	if !u.UpdatedAt.After(before) {
		t.Errorf("UpdatedAt %v not after %v", u.UpdatedAt, before)
	}
	got, err := s.GetUser(ctx, u.ID)
	mustOK(t, err)
	if got.Name != "erin2" || got.Role != "operator" || !got.Disabled || got.PasswordHash != "h" || !got.UpdatedAt.Equal(u.UpdatedAt) {
		t.Errorf("after UpdateUser: %+v", got)
	}
	u.Disabled = false
	mustOK(t, s.UpdateUser(ctx, u))
	if got, _ := s.GetUser(ctx, u.ID); got.Disabled {
		t.Error("Disabled not cleared")
	}
	wantIs(t, s.UpdateUser(ctx, &store.User{ID: "usr_ghost", Name: "g", Role: "viewer"}), store.ErrNotFound)
	if err := s.UpdateUser(ctx, &store.User{ID: u.ID, Role: "viewer"}); err == nil {
		t.Error("UpdateUser with an empty name succeeded")
	}
}

func testDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := &store.User{Name: "a", Role: "viewer"}, &store.User{Name: "b", Role: "viewer"}
	mustOK(t, s.CreateUser(ctx, a))
	mustOK(t, s.CreateUser(ctx, b))
	ka := &store.APIKey{Hash: "ha", Kind: store.KindUser, UserID: a.ID}
	kb := &store.APIKey{Hash: "hb", Kind: store.KindUser, UserID: b.ID}
	mustOK(t, s.CreateKey(ctx, ka))
	mustOK(t, s.CreateKey(ctx, kb))
	mustOK(t, s.DeleteUser(ctx, a.ID))
	_, err := s.GetUser(ctx, a.ID)
	wantIs(t, err, store.ErrNotFound)
	_, err = s.GetKey(ctx, ka.ID)
	wantIs(t, err, store.ErrNotFound)
	if _, err := s.GetKey(ctx, kb.ID); err != nil {
		t.Errorf("other user's key gone: %v", err)
	}
	wantIs(t, s.DeleteUser(ctx, a.ID), store.ErrNotFound)
	// The name is free again.
	mustOK(t, s.CreateUser(ctx, &store.User{Name: "a", Role: "viewer"}))
}

func testPasswordAndLockout(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := &store.User{Name: "frank", Role: "viewer"}
	mustOK(t, s.CreateUser(ctx, u))
	for want := 1; want <= 3; want++ {
		n, err := s.RecordLoginFailure(ctx, u.ID, nil)
		mustOK(t, err)
		if n != want {
			t.Fatalf("failure %d counted as %d", want, n)
		}
	}
	lock := time.Now().Add(15 * time.Minute).UTC().Truncate(time.Microsecond)
	n, err := s.RecordLoginFailure(ctx, u.ID, &lock)
	mustOK(t, err)
	got, _ := s.GetUser(ctx, u.ID)
	if n != 4 || got.FailedLogins != 4 || got.LockedUntil == nil || !got.LockedUntil.Equal(lock) {
		t.Fatalf("after lock: n=%d %+v", n, got)
	}
	// A later failure without a lock time keeps the lock.
	_, err = s.RecordLoginFailure(ctx, u.ID, nil)
	mustOK(t, err)
	if got, _ := s.GetUser(ctx, u.ID); got.LockedUntil == nil || got.FailedLogins != 5 {
		t.Errorf("lock lost: %+v", got)
	}
	mustOK(t, s.ResetLoginFailures(ctx, u.ID))
	if got, _ := s.GetUser(ctx, u.ID); got.FailedLogins != 0 || got.LockedUntil != nil {
		t.Errorf("after reset: %+v", got)
	}

	_, _ = s.RecordLoginFailure(ctx, u.ID, &lock)
	mustOK(t, s.SetPasswordHash(ctx, u.ID, "$argon2id$new"))
	got, _ = s.GetUser(ctx, u.ID)
	if got.PasswordHash != "$argon2id$new" || got.FailedLogins != 0 || got.LockedUntil != nil || !got.UpdatedAt.After(u.UpdatedAt) {
		t.Errorf("after SetPasswordHash: %+v", got)
	}

	_, err = s.RecordLoginFailure(ctx, "usr_ghost", nil)
	wantIs(t, err, store.ErrNotFound)
	wantIs(t, s.ResetLoginFailures(ctx, "usr_ghost"), store.ErrNotFound)
	wantIs(t, s.SetPasswordHash(ctx, "usr_ghost", "x"), store.ErrNotFound)
}

// Failures arriving at once (a brute-force burst, or several hubs) are each counted.
func testConcurrentLoginFailures(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := &store.User{Name: "gina", Role: "viewer"}
	mustOK(t, s.CreateUser(ctx, u))
	const n = 8
	var wg sync.WaitGroup
	counts := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { counts[i], errs[i] = s.RecordLoginFailure(ctx, u.ID, nil) })
	}
	wg.Wait()
	mustOK(t, errors.Join(errs...))
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("counts = %v, want 1..%d", counts, n)
		}
	}
}

func testKeyApplication(t *testing.T, s store.Store) {
	ctx := context.Background()
	u, a := seed(t, s)
	k := &store.APIKey{Hash: "h1", Kind: store.KindUser, UserID: u.ID, Application: "cursor"}
	mustOK(t, s.CreateKey(ctx, k))
	got, err := s.GetKey(ctx, k.ID)
	mustOK(t, err)
	if got.Application != "cursor" {
		t.Errorf("Application = %q", got.Application)
	}
	active, err := s.ActiveKeys(ctx)
	mustOK(t, err)
	if len(active) != 1 || active[0].Application != "cursor" {
		t.Errorf("ActiveKeys = %+v", active)
	}
	err = s.CreateKey(ctx, &store.APIKey{Hash: "h2", Kind: store.KindAgent, AgentID: a.ID, Application: "cursor"})
	if err == nil {
		t.Error("agent key with an application accepted")
	}
}

func testRoles(t *testing.T, s store.Store) {
	ctx := context.Background()
	if rs, err := s.ListRoles(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("ListRoles on empty store = %v, %v", rs, err)
	}
	r := &store.Role{Name: "auditor", Description: "reads audit", Permissions: []string{"audit.read.all", "usage.read"},
		ToolAllow: []string{"github__*"}, ToolDeny: []string{"*delete*"}}
	mustOK(t, s.CreateRole(ctx, r))
	if r.CreatedAt.IsZero() || r.UpdatedAt != r.CreatedAt {
		t.Errorf("CreateRole filled %+v", r)
	}
	empty := &store.Role{Name: "nothing"}
	mustOK(t, s.CreateRole(ctx, empty))
	wantIs(t, s.CreateRole(ctx, &store.Role{Name: "auditor"}), store.ErrConflict)
	if err := s.CreateRole(ctx, &store.Role{}); err == nil {
		t.Error("CreateRole without a name succeeded")
	}

	got, err := s.GetRole(ctx, "auditor")
	mustOK(t, err)
	if !sameRole(got, r) {
		t.Errorf("GetRole = %+v, want %+v", got, r)
	}
	got, err = s.GetRole(ctx, "nothing")
	mustOK(t, err)
	if got.Permissions == nil || len(got.Permissions) != 0 || len(got.ToolAllow) != 0 || len(got.ToolDeny) != 0 {
		t.Errorf("empty role read back as %+v", got)
	}

	r.Description, r.Permissions, r.ToolAllow, r.ToolDeny = "changed", []string{"tools.call"}, nil, []string{"x"}
	mustOK(t, s.UpdateRole(ctx, r))
	got, _ = s.GetRole(ctx, "auditor")
	if got.Description != "changed" || !slices.Equal(got.Permissions, []string{"tools.call"}) ||
		len(got.ToolAllow) != 0 || !slices.Equal(got.ToolDeny, []string{"x"}) || !got.UpdatedAt.Equal(r.UpdatedAt) {
		t.Errorf("after UpdateRole: %+v", got)
	}
	rs, err := s.ListRoles(ctx)
	mustOK(t, err)
	if len(rs) != 2 || rs[0].Name != "auditor" || rs[1].Name != "nothing" {
		t.Errorf("ListRoles = %+v", rs)
	}
	wantIs(t, s.UpdateRole(ctx, &store.Role{Name: "ghost"}), store.ErrNotFound)
	mustOK(t, s.DeleteRole(ctx, "auditor"))
	_, err = s.GetRole(ctx, "auditor")
	wantIs(t, err, store.ErrNotFound)
	wantIs(t, s.DeleteRole(ctx, "auditor"), store.ErrNotFound)
}

func testSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.GetSetting(ctx, "jwt_secret")
	wantIs(t, err, store.ErrNotFound)
	mustOK(t, s.PutSetting(ctx, "policy", `{"rules":[]}`))
	mustOK(t, s.PutSetting(ctx, "policy", `{"rules":[1]}`))
	if v, err := s.GetSetting(ctx, "policy"); err != nil || v != `{"rules":[1]}` {
		t.Errorf("GetSetting = %q, %v", v, err)
	}
	mustOK(t, s.CreateSetting(ctx, "jwt_secret", "first"))
	wantIs(t, s.CreateSetting(ctx, "jwt_secret", "second"), store.ErrConflict)
	if v, _ := s.GetSetting(ctx, "jwt_secret"); v != "first" {
		t.Errorf("CreateSetting replaced the value: %q", v)
	}
	mustOK(t, s.PutSetting(ctx, "empty", ""))
	if v, err := s.GetSetting(ctx, "empty"); err != nil || v != "" {
		t.Errorf("empty value = %q, %v", v, err)
	}
	if err := s.PutSetting(ctx, "", "x"); err == nil {
		t.Error("PutSetting with an empty key succeeded")
	}
}

func sameUser(a, b *store.User) bool {
	lockEq := (a.LockedUntil == nil) == (b.LockedUntil == nil) &&
		(a.LockedUntil == nil || a.LockedUntil.Equal(*b.LockedUntil))
	return a.ID == b.ID && a.Name == b.Name && a.Role == b.Role && a.PasswordHash == b.PasswordHash &&
		a.Disabled == b.Disabled && a.FailedLogins == b.FailedLogins && lockEq &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func sameRole(a, b *store.Role) bool {
	return a.Name == b.Name && a.Description == b.Description && slices.Equal(a.Permissions, b.Permissions) &&
		slices.Equal(a.ToolAllow, b.ToolAllow) && slices.Equal(a.ToolDeny, b.ToolDeny) &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

// A database made before names were unique may hold duplicates; migrating it keeps the
// oldest name and renames the others instead of failing.
func TestMigrationRenamesDuplicateUserNames(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.config(t)
			if cfg.DataDir != "" {
				mustOK(t, os.WriteFile(filepath.Join(cfg.DataDir, "hub.db"), nil, 0o600))
			}
			db := rawDB(t, cfg)
			v1, err := os.ReadFile(filepath.Join("migrations", b.name, "0001_init.sql"))
			mustOK(t, err)
			_, err = db.ExecContext(ctx, string(v1))
			mustOK(t, err)
			ts := "TEXT"
			if b.name == "postgres" {
				ts = "TIMESTAMPTZ"
			}
			for _, q := range []string{
				"CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at " + ts + " NOT NULL)",
				"INSERT INTO schema_migrations VALUES (1, '2025-01-01T00:00:00.000000Z')",
				"INSERT INTO users VALUES ('u2', 'sam', 'viewer', '2025-01-02T00:00:00.000000Z')",
				"INSERT INTO users VALUES ('u1', 'sam', 'owner', '2025-01-01T00:00:00.000000Z')",
				"INSERT INTO users VALUES ('u3', 'tom', 'viewer', '2025-01-01T00:00:00.000000Z')",
			} {
				_, err := db.ExecContext(ctx, q)
				mustOK(t, err)
			}
			s := storetest.Open(t, cfg)
			for id, name := range map[string]string{"u1": "sam", "u2": "sam-u2", "u3": "tom"} {
				u, err := s.GetUser(ctx, id)
				mustOK(t, err)
				if u.Name != name || !u.UpdatedAt.Equal(u.CreatedAt) {
					t.Errorf("user %s: name %q (want %q), updated %v created %v", id, u.Name, name, u.UpdatedAt, u.CreatedAt)
				}
			}
		})
	}
}
