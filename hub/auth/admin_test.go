package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

func TestCreateOwner(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	u, key, err := CreateOwner(ctx, s, "alice")
	must(t, err)
	if u.Role != rbac.RoleOwner || u.Name != "alice" || !wellFormed(key) {
		t.Fatalf("CreateOwner = %+v, %q", u, key)
	}
	ks, err := s.ListKeys(ctx)
	must(t, err)
	if len(ks) != 1 || ks[0].Hash != HashKey(key) || ks[0].Prefix != key[:12] || ks[0].UserID != u.ID ||
		ks[0].Kind != store.KindUser || strings.Contains(ks[0].Hash, key) {
		t.Errorf("stored key = %+v", ks)
	}

	_, _, err = CreateOwner(ctx, s, "mallory")
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "already initialised") {
		t.Errorf("second CreateOwner = %v, want ErrConflict 'already initialised'", err)
	}
	if _, _, err := CreateOwner(ctx, storetest.New(t), ""); err == nil {
		t.Error("CreateOwner with an empty name succeeded")
	}
}

func TestCreateUserKey(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	u, _, err := CreateOwner(ctx, s, "alice")
	must(t, err)
	exp := time.Now().Add(24 * time.Hour)
	k, plain, err := CreateUserKey(ctx, s, u.ID, KeyOptions{Name: "ci", ExpiresAt: &exp})
	must(t, err)
	if k.Name != "ci" || k.ExpiresAt == nil || k.Hash != HashKey(plain) || k.ID == "" || k.Application != "" {
		t.Errorf("CreateUserKey = %+v", k)
	}
	k, _, err = CreateUserKey(ctx, s, u.ID, KeyOptions{Name: "ide", Application: "cursor"})
	must(t, err)
	if got, _ := s.GetKey(ctx, k.ID); got == nil || got.Application != "cursor" {
		t.Errorf("stored application = %+v", got)
	}
	if _, _, err := CreateUserKey(ctx, s, "usr_ghost", KeyOptions{Name: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("key for unknown user: %v, want ErrNotFound", err)
	}
	past := time.Now().Add(-time.Second)
	if _, _, err := CreateUserKey(ctx, s, u.ID, KeyOptions{Name: "x", ExpiresAt: &past}); err == nil {
		t.Error("key with past expiry created")
	}
	for _, app := range []string{"-x", "a b", "cursor/1", strings.Repeat("a", 65), "ünï"} {
		if _, _, err := CreateUserKey(ctx, s, u.ID, KeyOptions{Application: app}); err == nil || !strings.Contains(err.Error(), "invalid application") {
			t.Errorf("application %q: %v, want an invalid application error", app, err)
		}
	}
	for _, app := range []string{"cursor", "claude-desktop", "vscode.copilot", "A_1"} {
		if err := ValidApplication(app); err != nil {
			t.Errorf("ValidApplication(%q) = %v", app, err)
		}
	}
}

func TestEnrollAgent(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	a, k1, err := EnrollAgent(ctx, s, "laptop")
	must(t, err)
	if a.ID != "laptop" || !wellFormed(k1) {
		t.Fatalf("EnrollAgent = %+v, %q", a, k1)
	}
	// Enrolling again adds a key to the same agent.
	_, k2, err := EnrollAgent(ctx, s, "laptop")
	must(t, err)
	if k1 == k2 {
		t.Fatal("same key twice")
	}
	ks, err := s.ListKeys(ctx)
	must(t, err)
	if len(ks) != 2 || ks[0].AgentID != "laptop" || ks[1].AgentID != "laptop" || ks[0].Kind != store.KindAgent {
		t.Errorf("keys = %+v", ks)
	}
	if as, _ := s.ListAgents(ctx); len(as) != 1 {
		t.Errorf("agents = %+v", as)
	}

	must(t, s.RevokeAgent(ctx, "laptop"))
	if _, _, err := EnrollAgent(ctx, s, "laptop"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("enrolling a revoked agent: %v, want ErrConflict", err)
	}
}

func TestValidAgentID(t *testing.T) {
	valid := []string{"a", "laptop", "my-macbook", "Build_01", "0", strings.Repeat("x", 48)}
	invalid := []string{"", "-laptop", "_x", "my macbook", "laptop.local", "ünï", "a/b", "a__b\n", strings.Repeat("x", 49)}
	for _, id := range valid {
		if err := ValidAgentID(id); err != nil {
			t.Errorf("ValidAgentID(%q) = %v", id, err)
		}
	}
	s := storetest.New(t)
	for _, id := range invalid {
		if err := ValidAgentID(id); err == nil {
			t.Errorf("ValidAgentID(%q) accepted", id)
		}
		if _, _, err := EnrollAgent(context.Background(), s, id); err == nil || !strings.Contains(err.Error(), "invalid agent id") {
			t.Errorf("EnrollAgent(%q) = %v, want an invalid agent id error", id, err)
		}
	}
}

// A key's scope: the owner's bootstrap key is "all", a key made without a scope is "mcp"
// (the narrowest useful one), a named scope is kept, and an unknown one is refused, naming it.
// The cache carries the scope into the identity that /mcp and the REST API check.
func TestKeyScopeDefaults(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	u, ownerKey, err := CreateOwner(ctx, s, "alice")
	must(t, err)
	c := NewCache(s, nil)
	k, plain, err := CreateUserKey(ctx, s, u.ID, KeyOptions{Name: "ide"})
	must(t, err)
	if k.Scope != store.ScopeMCP {
		t.Errorf("a key made without a scope: %q, want mcp", k.Scope)
	}
	k2, admin, err := CreateUserKey(ctx, s, u.ID, KeyOptions{Name: "ops", Scope: store.ScopeAdmin})
	must(t, err)
	if k2.Scope != store.ScopeAdmin {
		t.Errorf("scope admin stored as %q", k2.Scope)
	}
	if _, _, err := CreateUserKey(ctx, s, u.ID, KeyOptions{Name: "x", Scope: "root"}); err == nil || !strings.Contains(err.Error(), `"root"`) {
		t.Errorf("scope root: %v, want a refusal naming it", err)
	}
	must(t, c.Refresh(ctx))
	for _, tc := range []struct {
		key          string
		mcp, adminOK bool
	}{{ownerKey, true, true}, {plain, true, false}, {admin, false, true}} {
		id, ok := c.Lookup(tc.key)
		if !ok || id.AllowsMCP() != tc.mcp || id.AllowsAdmin() != tc.adminOK {
			t.Errorf("%s…: scope %q: AllowsMCP %v AllowsAdmin %v, want %v %v", tc.key[:12], id.Scope, id.AllowsMCP(), id.AllowsAdmin(), tc.mcp, tc.adminOK)
		}
	}
	// A JWT access token (no scope) is for the REST API only: /mcp takes keys.
	if id := (Identity{UserID: u.ID, TokenID: "jti"}); id.AllowsMCP() || !id.AllowsAdmin() {
		t.Errorf("token identity: AllowsMCP %v AllowsAdmin %v, want false true", id.AllowsMCP(), id.AllowsAdmin())
	}
}

func TestRotateAgentKey(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	_, k1, err := EnrollAgent(ctx, s, "laptop")
	must(t, err)
	_, other, err := EnrollAgent(ctx, s, "desktop")
	must(t, err)
	k2, id2, n, err := RotateAgentKey(ctx, s, "laptop")
	must(t, err)
	if !wellFormed(k2) || k2 == k1 || n != 1 {
		t.Fatalf("RotateAgentKey = %q, %d revoked", k2, n)
	}
	active := map[string]bool{}
	ks, err := s.ActiveKeys(ctx)
	must(t, err)
	for _, k := range ks {
		active[k.Hash] = true
		if k.ID == id2 && (k.AgentID != "laptop" || k.Kind != store.KindAgent) {
			t.Errorf("new key = %+v", k)
		}
	}
	if active[HashKey(k1)] || !active[HashKey(k2)] || !active[HashKey(other)] {
		t.Errorf("after rotation: old active %v, new active %v, other agent's active %v", active[HashKey(k1)], active[HashKey(k2)], active[HashKey(other)])
	}
	if _, _, _, err := RotateAgentKey(ctx, s, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agent: %v, want ErrNotFound", err)
	}
	must(t, s.RevokeAgent(ctx, "laptop"))
	if _, _, _, err := RotateAgentKey(ctx, s, "laptop"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("revoked agent: %v, want ErrConflict", err)
	}
}
