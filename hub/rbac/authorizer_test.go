package rbac

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestUnknownRoleAndPermission(t *testing.T) {
	a := New(nil, nil)
	for _, p := range allPermissions {
		for _, role := range []string{"", "admin", "Owner", "owner "} {
			if a.Can(role, p) {
				t.Errorf("Can(%q, %s) = true", role, p)
			}
		}
	}
	for _, p := range []string{"", "tools", "tools.*", "*", "users.read "} {
		if a.Can(RoleOwner, p) {
			t.Errorf("owner holds unknown permission %q", p)
		}
	}
	if a.ToolAllowed("admin", "fs__read") || a.ToolAllowed("", "fs__read") {
		t.Error("unknown role reaches a tool")
	}
	if !a.ToolAllowed(RoleViewer, "fs__read") {
		t.Error("viewer does not reach a tool")
	}
	if a.ToolAllowed(RoleOwner) || a.ToolAllowed(RoleOwner, "", "") {
		t.Error("a tool with no name allowed")
	}
}

// newStored returns an Authorizer over a fresh store holding the given custom roles.
func newStored(t testing.TB, s store.Store, roles ...store.Role) *Authorizer {
	t.Helper()
	a := New(s, nil)
	for i := range roles {
		must(t, a.CreateRole(context.Background(), &roles[i]))
	}
	return a
}

func TestToolGlobs(t *testing.T) {
	a := newStored(t, storetest.New(t),
		store.Role{Name: "gh", Permissions: []string{ToolsCall}, ToolAllow: []string{"github__*", "laptop__fs__read_*"}, ToolDeny: []string{"*delete*"}},
		store.Role{Name: "nodelete", Permissions: []string{ToolsCall}, ToolDeny: []string{"*delete*", "*__rm"}},
		store.Role{Name: "none", Permissions: []string{ToolsCall}, ToolAllow: []string{"nothing-matches-this"}},
	)
	cases := []struct {
		role  string
		names []string
		want  bool
	}{
		{"gh", []string{"github__create_issue"}, true},
		{"gh", []string{"gitlab__create_issue"}, false},
		{"gh", []string{"github__delete_repo"}, false},                     // deny wins over allow
		{"gh", []string{"create_issue", "", "github__create_issue"}, true}, // allowed by another name
		{"gh", []string{"laptop__fs__read_file", "read_file"}, true},
		{"gh", []string{"laptop__fs__write_file"}, false},
		{"gh", []string{"github__issue", "alias_delete", "issue"}, false}, // denied through the alias
		{"gh", []string{"github__x", "", "delete_everything"}, false},     // denied through the original name
		{"nodelete", []string{"anything__at_all"}, true},                  // empty allow = every tool
		{"nodelete", []string{"fs__delete_file"}, false},
		{"nodelete", []string{"shell__rm"}, false},
		{"nodelete", []string{"fs__rm_rf"}, true},
		{"none", []string{"github__create_issue"}, false},
		{RoleOwner, []string{"fs__delete_file"}, true},
		{RoleViewer, []string{"fs__delete_file"}, true},
	}
	for _, c := range cases {
		if got := a.ToolAllowed(c.role, c.names...); got != c.want {
			t.Errorf("ToolAllowed(%s, %q) = %v, want %v", c.role, c.names, got, c.want)
		}
		three := append(append([]string(nil), c.names...), "", "", "")[:3]
		if len(c.names) <= 3 {
			if got := a.AllowsTool(c.role, three[0], three[1], three[2]); got != c.want {
				t.Errorf("AllowsTool(%s, %q) = %v, want %v", c.role, three, got, c.want)
			}
		}
	}
	if a.AllowsTool(RoleOwner, "", "", "") || a.AllowsTool("ghost", "x", "", "") {
		t.Error("AllowsTool with no name or an unknown role")
	}
}

func TestCustomRolesFromStore(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", storetest.New}, {"postgres", storetest.NewPostgres}} {
		t.Run(b.name, func(t *testing.T) {
			testCustomRoles(t, b.open(t))
		})
	}
}

func testCustomRoles(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := New(s, nil)
	if a.Can("auditor", AuditReadAll) {
		t.Fatal("role allowed before it exists")
	}
	r := &store.Role{Name: "auditor", Description: "reads audit", Permissions: []string{AuditReadAll, UsageRead}}
	must(t, a.CreateRole(ctx, r))
	if !a.Can("auditor", AuditReadAll) || !a.Can("auditor", UsageRead) || a.Can("auditor", ToolsCall) || a.Can("auditor", UsersWrite) {
		t.Error("custom role permissions wrong after create")
	}
	got, ok := a.Role("auditor")
	if !ok || got.BuiltIn || got.Description != "reads audit" || len(got.Permissions) != 2 || got.ToolAllow == nil {
		t.Errorf("Role(auditor) = %+v, %v", got, ok)
	}
	got.Permissions[0] = UsersWrite // a copy: the snapshot is not changed through it
	if a.Can("auditor", UsersWrite) {
		t.Error("Role returned the snapshot's own slice")
	}
	names := []string{}
	for _, r := range a.Roles() {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "owner,operator,viewer,auditor" {
		t.Errorf("Roles() = %v", names)
	}

	r.Permissions = []string{ToolsCall}
	must(t, a.UpdateRole(ctx, r))
	if a.Can("auditor", AuditReadAll) || !a.Can("auditor", ToolsCall) {
		t.Error("update not seen at once")
	}

	// A write by someone else (another hub, the CLI) arrives with Refresh.
	must(t, s.CreateRole(ctx, &store.Role{Name: "elsewhere", Permissions: []string{AgentsRead}}))
	if a.Can("elsewhere", AgentsRead) {
		t.Fatal("seen before Refresh")
	}
	must(t, a.Refresh(ctx))
	if !a.Can("elsewhere", AgentsRead) {
		t.Error("not seen after Refresh")
	}

	u := &store.User{Name: "ann", Role: "auditor"}
	must(t, s.CreateUser(ctx, u))
	if err := a.DeleteRole(ctx, "auditor"); !errors.Is(err, ErrRoleInUse) || !strings.Contains(err.Error(), "1 user") {
		t.Errorf("deleting a role in use: %v", err)
	}
	must(t, s.DeleteUser(ctx, u.ID))
	must(t, a.DeleteRole(ctx, "auditor"))
	if a.Can("auditor", ToolsCall) {
		t.Error("deleted role still allowed")
	}
	if err := a.DeleteRole(ctx, "auditor"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting again: %v", err)
	}
	if err := a.UpdateRole(ctx, &store.Role{Name: "ghost"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating an unknown role: %v", err)
	}
	if err := a.CreateRole(ctx, &store.Role{Name: "elsewhere"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("creating a taken name: %v", err)
	}
}

func TestValidateRole(t *testing.T) {
	ok := []store.Role{
		{Name: "auditor"},
		{Name: "ci.bot-1_x", Permissions: []string{ToolsCall, ToolsRead}, ToolAllow: []string{"github__*"}, ToolDeny: []string{"*delete*", "fs__[rw]*"}},
	}
	for _, r := range ok {
		if err := ValidateRole(&r); err != nil {
			t.Errorf("ValidateRole(%+v) = %v", r, err)
		}
	}
	bad := map[string]store.Role{
		"reserved":           {Name: RoleOwner},
		"reserved operator":  {Name: RoleOperator},
		"reserved viewer":    {Name: RoleViewer},
		"invalid role name":  {Name: ""},
		"must be 1 to 64":    {Name: strings.Repeat("r", 65)},
		"use letters":        {Name: "-x"},
		"unknown permission": {Name: "r", Permissions: []string{"tools.*"}},
		"listed twice":       {Name: "r", Permissions: []string{ToolsCall, ToolsCall}},
		"bad glob":           {Name: "r", ToolAllow: []string{"fs__[r"}},
		"empty glob":         {Name: "r", ToolDeny: []string{""}},
		"at most 256":        {Name: "r", ToolDeny: make([]string, 257)},
	}
	for want, r := range bad {
		err := ValidateRole(&r)
		if err == nil || !strings.Contains(err.Error(), strings.Split(want, " ")[0]) {
			t.Errorf("%s: ValidateRole = %v", want, err)
		}
	}
	a := New(storetest.New(t), nil)
	ctx := context.Background()
	if err := a.CreateRole(ctx, &store.Role{Name: RoleOwner}); !errors.Is(err, ErrBuiltinRole) {
		t.Errorf("CreateRole(owner) = %v", err)
	}
	if err := a.UpdateRole(ctx, &store.Role{Name: RoleViewer, Permissions: allPermissions}); !errors.Is(err, ErrBuiltinRole) {
		t.Errorf("UpdateRole(viewer) = %v", err)
	}
	if err := a.DeleteRole(ctx, RoleOperator); !errors.Is(err, ErrBuiltinRole) {
		t.Errorf("DeleteRole(operator) = %v", err)
	}
	if a.Can(RoleViewer, UsersWrite) {
		t.Error("a refused update changed the viewer")
	}
}

// A role written to the store around ValidateRole allows nothing rather than more.
func TestInvalidStoredRoleAllowsNothing(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	must(t, s.CreateRole(ctx, &store.Role{Name: "broken", Permissions: []string{ToolsCall, "bogus"}}))
	must(t, s.CreateRole(ctx, &store.Role{Name: "badglob", Permissions: []string{ToolsCall}, ToolDeny: []string{"[x"}}))
	must(t, s.CreateRole(ctx, &store.Role{Name: RoleViewer, Permissions: allPermissions})) // a built-in name
	a := New(s, nil)
	must(t, a.Refresh(ctx))
	for _, role := range []string{"broken", "badglob"} {
		if a.Can(role, ToolsCall) || a.ToolAllowed(role, "x") {
			t.Errorf("invalid stored role %s allows something", role)
		}
		if _, ok := a.Role(role); !ok {
			t.Errorf("invalid stored role %s is not listed (operators must see it to fix it)", role)
		}
	}
	if a.Can(RoleViewer, UsersWrite) {
		t.Error("a stored role overrode the built-in viewer")
	}
}

func TestRunRefreshes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := storetest.New(t)
	a := New(s, nil)
	a.refreshEvery = 10 * time.Millisecond
	refreshed := make(chan struct{}, 1)
	a.afterRefresh = func() {
		select {
		case refreshed <- struct{}{}:
		default:
		}
	}
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()
	must(t, s.CreateRole(ctx, &store.Role{Name: "late", Permissions: []string{UsageRead}}))
	deadline := time.After(10 * time.Second)
	for !a.Can("late", UsageRead) {
		select {
		case <-refreshed:
		case <-deadline:
			t.Fatal("Run did not pick up a role written to the store")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}
