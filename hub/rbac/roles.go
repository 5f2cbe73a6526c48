package rbac

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// ErrBuiltinRole: built-in roles cannot be created, changed or deleted.
var ErrBuiltinRole = errors.New("built-in role")

// ErrRoleInUse: a role still held by users cannot be deleted.
var ErrRoleInUse = errors.New("role is in use")

const maxGlobs = 256

// ValidateRole checks a custom role before it is stored: a name of 1 to 64 letters,
// digits, '.', '_' or '-' that is not a built-in one; known permissions, each once; tool
// globs that compile (at most 256 per list).
func ValidateRole(r *store.Role) error {
	if err := validRoleName(r.Name); err != nil {
		return err
	}
	if IsBuiltin(r.Name) {
		return fmt.Errorf("role %q: %w: the name is reserved", r.Name, ErrBuiltinRole)
	}
	for i, p := range r.Permissions {
		if !KnownPermission(p) {
			return fmt.Errorf("role %q: unknown permission %q (known: %v)", r.Name, p, allPermissions)
		}
		if slices.Contains(r.Permissions[:i], p) {
			return fmt.Errorf("role %q: permission %q listed twice", r.Name, p)
		}
	}
	if len(r.ToolAllow) > maxGlobs || len(r.ToolDeny) > maxGlobs {
		return fmt.Errorf("role %q: at most %d globs per list", r.Name, maxGlobs)
	}
	if _, err := compile(fromStore(*r)); err != nil {
		return fmt.Errorf("role %q: %w", r.Name, err)
	}
	return nil
}

func validRoleName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("invalid role name %q: must be 1 to 64 characters", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '-' && c != '.') {
			return fmt.Errorf("invalid role name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", name)
		}
	}
	return nil
}

// CreateRole validates and stores a custom role, then refreshes the snapshot so the
// role is usable at once. A taken name is store.ErrConflict.
func (a *Authorizer) CreateRole(ctx context.Context, r *store.Role) error {
	if err := ValidateRole(r); err != nil {
		return err
	}
	if err := a.store.CreateRole(ctx, r); err != nil {
		return err
	}
	return a.Refresh(ctx)
}

// UpdateRole validates and replaces a custom role, then refreshes. Built-in roles are
// refused (ErrBuiltinRole); an unknown one is store.ErrNotFound.
func (a *Authorizer) UpdateRole(ctx context.Context, r *store.Role) error {
	if err := ValidateRole(r); err != nil {
		return err
	}
	if err := a.store.UpdateRole(ctx, r); err != nil {
		return err
	}
	return a.Refresh(ctx)
}

// DeleteRole deletes a custom role that no user holds (else ErrRoleInUse, naming how
// many do), then refreshes. Built-in roles are refused (ErrBuiltinRole).
func (a *Authorizer) DeleteRole(ctx context.Context, name string) error {
	if IsBuiltin(name) {
		return fmt.Errorf("delete role %q: %w", name, ErrBuiltinRole)
	}
	users, err := a.store.ListUsers(ctx)
	if err != nil {
		return fmt.Errorf("delete role %q: %w", name, err)
	}
	n := 0
	for _, u := range users {
		if u.Role == name {
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("delete role %q: %w by %d user(s); give them another role first", name, ErrRoleInUse, n)
	}
	if err := a.store.DeleteRole(ctx, name); err != nil {
		return err
	}
	return a.Refresh(ctx)
}

// Covers reports whether role holds every permission of target and reaches at least
// the tools target reaches, as far as can be told without tool names: a role without tool
// globs covers any; one with globs covers only a target with the very same globs. The
// REST API uses it against privilege escalation: a caller may grant (to a user, or to a
// role it writes) only a role its own covers. Unknown roles cover nothing and are
// covered by nothing.
func (a *Authorizer) Covers(role, target string) bool {
	snap := a.snap.Load()
	c, t := snap.roles[role], snap.roles[target]
	if c == nil || t == nil || t.perms&^c.perms != 0 {
		return false
	}
	return c.reachesAll(t.role.ToolAllow, t.role.ToolDeny)
}

// CoversPermissions is Covers for a role not stored yet: whether role holds every one of
// perms and has no tool globs narrower than toolAllow/toolDeny (the same rule as Covers).
func (a *Authorizer) CoversPermissions(role string, r *store.Role) bool {
	c := a.snap.Load().roles[role]
	if c == nil {
		return false
	}
	for _, p := range r.Permissions {
		if c.perms&permBit[p] == 0 {
			return false
		}
	}
	return c.reachesAll(r.ToolAllow, r.ToolDeny)
}

// reachesAll reports whether c reaches every tool that the globs allow and deny reach, as
// far as can be told without tool names: with no globs of its own it reaches any tool;
// with globs, only the very same ones are known to reach no more.
func (c *compiled) reachesAll(allow, deny []string) bool {
	if len(c.role.ToolAllow) == 0 && len(c.role.ToolDeny) == 0 {
		return true
	}
	return slices.Equal(c.role.ToolAllow, allow) && slices.Equal(c.role.ToolDeny, deny)
}
