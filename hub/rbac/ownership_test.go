package rbac

import (
	"context"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// A non-owner never sees another user's keys or audit rows unless a role grants it.
func TestOwnership(t *testing.T) {
	a := newStored(t, storetest.New(t),
		store.Role{Name: "keyadmin", Permissions: []string{KeysReadAll, KeysWriteAll}},
		store.Role{Name: "nothing"},
	)
	type check func(role, caller, owner string) bool
	kinds := map[string]check{"read keys": a.CanReadKeysOf, "write keys": a.CanWriteKeysOf, "read audit": a.CanReadAuditOf}
	cases := []struct {
		role, caller, owner string
		want                map[string]bool
	}{
		// own rows
		{RoleViewer, "u1", "u1", map[string]bool{"read keys": true, "write keys": true, "read audit": true}},
		{RoleOperator, "u1", "u1", map[string]bool{"read keys": true, "write keys": true, "read audit": true}},
		{"keyadmin", "u1", "u1", map[string]bool{"read keys": true, "write keys": true, "read audit": false}},
		{"nothing", "u1", "u1", map[string]bool{}},
		// someone else's
		{RoleViewer, "u1", "u2", map[string]bool{}},
		{RoleOperator, "u1", "u2", map[string]bool{"read keys": true, "read audit": true}},
		{RoleOwner, "u1", "u2", map[string]bool{"read keys": true, "write keys": true, "read audit": true}},
		{"keyadmin", "u1", "u2", map[string]bool{"read keys": true, "write keys": true}},
		// rows of no user (agent events), and callers without a user (agent keys)
		{RoleViewer, "u1", "", map[string]bool{}},
		{RoleViewer, "", "", map[string]bool{}},
		{RoleOperator, "", "", map[string]bool{"read keys": true, "read audit": true}},
		// unknown role
		{"ghost", "u1", "u1", map[string]bool{}},
	}
	for _, c := range cases {
		for kind, f := range kinds {
			if got := f(c.role, c.caller, c.owner); got != c.want[kind] {
				t.Errorf("%s: role %s, caller %q, owner %q = %v, want %v", kind, c.role, c.caller, c.owner, got, c.want[kind])
			}
		}
	}
}

func TestCovers(t *testing.T) {
	ctx := context.Background()
	a := newStored(t, storetest.New(t),
		store.Role{Name: "useradmin", Permissions: []string{UsersRead, UsersWrite}},
		store.Role{Name: "reader", Permissions: []string{UsersRead}},
		store.Role{Name: "scoped", Permissions: []string{ToolsCall, UsersRead, UsersWrite}, ToolAllow: []string{"github__*"}},
		store.Role{Name: "scoped2", Permissions: []string{ToolsCall}, ToolAllow: []string{"github__*"}},
		store.Role{Name: "caller", Permissions: []string{ToolsCall}},
	)
	cases := []struct {
		role, target string
		want         bool
	}{
		{RoleOwner, RoleOwner, true}, {RoleOwner, RoleOperator, true}, {RoleOwner, "scoped", true},
		{RoleOperator, RoleOwner, false}, {RoleOperator, RoleViewer, true}, {RoleOperator, "useradmin", false},
		{RoleViewer, RoleOperator, false}, {RoleViewer, RoleViewer, true},
		{"useradmin", RoleOwner, false}, {"useradmin", "reader", true}, {"useradmin", RoleViewer, false},
		{"scoped", "scoped2", true},  // same globs, fewer permissions
		{"scoped", "caller", false},  // caller reaches every tool, scoped does not
		{"scoped2", "scoped", false}, // more permissions
		{"ghost", RoleViewer, false}, {RoleOwner, "ghost", false},
	}
	for _, c := range cases {
		if got := a.Covers(c.role, c.target); got != c.want {
			t.Errorf("Covers(%s, %s) = %v, want %v", c.role, c.target, got, c.want)
		}
	}
	if !a.CoversPermissions(RoleOperator, &store.Role{Permissions: []string{ToolsWrite, AuditReadAll}}) ||
		a.CoversPermissions(RoleOperator, &store.Role{Permissions: []string{UsersWrite}}) ||
		a.CoversPermissions("scoped", &store.Role{Permissions: []string{ToolsCall}}) ||
		!a.CoversPermissions("scoped", &store.Role{Permissions: []string{ToolsCall}, ToolAllow: []string{"github__*"}}) ||
		a.CoversPermissions("ghost", &store.Role{}) {
		t.Error("CoversPermissions")
	}
	_ = ctx
}
