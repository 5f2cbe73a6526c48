package rbac

import (
	"context"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

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
