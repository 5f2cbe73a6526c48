package rbac

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Role is a role as the Authorizer sees it: a built-in one or a custom one from the store.
type Role struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	BuiltIn     bool      `json:"built_in"`
	Permissions []string  `json:"permissions"`
	ToolAllow   []string  `json:"tool_allow"` // globs; empty allows every tool
	ToolDeny    []string  `json:"tool_deny"`  // globs; deny wins over allow
	CreatedAt   time.Time `json:"created_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// Authorizer answers RBAC questions from an immutable snapshot behind an atomic pointer:
// Can and ToolAllowed take no lock and do not allocate. The snapshot is rebuilt from the
// store by Refresh (after every write to roles) and by Run every 30 seconds.
type Authorizer struct {
	store        store.Store
	logger       *slog.Logger
	refreshEvery time.Duration
	afterRefresh func() // tests: called after each refresh by Run

	snap      atomic.Pointer[snapshot]
	refreshMu sync.Mutex // one Refresh at a time: an older read never replaces a newer one
}

type snapshot struct {
	roles map[string]*compiled
	list  []Role // built-ins first, then custom roles by name
}

type compiled struct {
	role        Role
	perms       permSet
	allow, deny []policy.Glob
	invalid     bool // a stored role that does not compile: nothing allowed
}

// New returns an Authorizer with the built-in roles only; Refresh adds the custom roles
// of s. s may be nil: built-in roles only.
func New(s store.Store, logger *slog.Logger) *Authorizer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Authorizer{store: s, logger: logger, refreshEvery: 30 * time.Second}
	a.snap.Store(a.build(nil))
	return a
}

// Can reports whether role holds perm. An unknown role or permission holds nothing.
func (a *Authorizer) Can(role, perm string) bool {
	c := a.snap.Load().roles[role]
	return c != nil && c.perms&permBit[perm] != 0
}

// ToolAllowed reports whether role may reach a tool known by these names (its exposed
// name, alias and original name; empty ones are skipped). A deny glob matching any name
// refuses; otherwise an empty allow list, or an allow glob matching any name, allows.
// An unknown role, or no name at all, is refused.
func (a *Authorizer) ToolAllowed(role string, names ...string) bool {
	c := a.snap.Load().roles[role]
	if c == nil || c.invalid {
		return false
	}
	v := verdict{allowed: len(c.allow) == 0}
	for _, n := range names {
		if v.denies(c, n) {
			return false
		}
	}
	return v.named && v.allowed
}

// AllowsTool is ToolAllowed for exactly the three names. Called through an interface,
// a variadic method allocates its argument slice; this one does not.
func (a *Authorizer) AllowsTool(role, exposed, alias, original string) bool {
	c := a.snap.Load().roles[role]
	if c == nil || c.invalid {
		return false
	}
	v := verdict{allowed: len(c.allow) == 0}
	if v.denies(c, exposed) || v.denies(c, alias) || v.denies(c, original) {
		return false
	}
	return v.named && v.allowed
}

// verdict accumulates ToolAllowed over a tool's names.
type verdict struct{ named, allowed bool }

// denies checks one name: it reports a matching deny glob, and records an allow.
func (v *verdict) denies(c *compiled, n string) bool {
	if n == "" {
		return false
	}
	v.named = true
	for i := range c.deny {
		if c.deny[i].Match(n) {
			return true
		}
	}
	for i := 0; !v.allowed && i < len(c.allow); i++ {
		v.allowed = c.allow[i].Match(n)
	}
	return false
}

// Role returns a role by name.
func (a *Authorizer) Role(name string) (Role, bool) {
	c := a.snap.Load().roles[name]
	if c == nil {
		return Role{}, false
	}
	return cloneRole(c.role), true
}

// Roles returns every role: the built-in ones first, then custom roles by name.
func (a *Authorizer) Roles() []Role {
	list := a.snap.Load().list
	out := make([]Role, len(list))
	for i, r := range list {
		out[i] = cloneRole(r)
	}
	return out
}

// Refresh reloads the custom roles from the store. On failure the previous snapshot
// keeps serving.
func (a *Authorizer) Refresh(ctx context.Context) error {
	if a.store == nil {
		return nil
	}
	a.refreshMu.Lock()
	defer a.refreshMu.Unlock()
	rs, err := a.store.ListRoles(ctx)
	if err != nil {
		return fmt.Errorf("refresh roles: %w", err)
	}
	a.snap.Store(a.build(rs))
	return nil
}

// Run refreshes every 30 seconds until ctx ends (so that writes by other hubs arrive),
// logging failures; it returns nil when ctx ends.
func (a *Authorizer) Run(ctx context.Context) error {
	t := time.NewTicker(a.refreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := a.Refresh(ctx); err != nil && ctx.Err() == nil {
				a.logger.Warn("rbac refresh failed; serving the previous roles", "err", err)
			}
			if a.afterRefresh != nil {
				a.afterRefresh()
			}
		}
	}
}

// build compiles the built-in roles and the custom ones. A stored role that does not
// compile (it was written around ValidateRole) is kept with nothing allowed, never
// with more than it says.
func (a *Authorizer) build(custom []store.Role) *snapshot {
	s := &snapshot{roles: make(map[string]*compiled)}
	for _, r := range builtinRoles() {
		c, _ := compile(r)
		s.roles[r.Name] = c
		s.list = append(s.list, r)
	}
	slices.SortFunc(custom, func(x, y store.Role) int { return strings.Compare(x.Name, y.Name) })
	for _, sr := range custom {
		if IsBuiltin(sr.Name) {
			a.logger.Warn("stored role uses a built-in name; ignored", "role", sr.Name)
			continue
		}
		r := fromStore(sr)
		c, err := compile(r)
		if err != nil {
			a.logger.Error("stored role is invalid; it allows nothing until fixed", "role", r.Name, "err", err)
			c = &compiled{role: r, invalid: true}
		}
		s.roles[r.Name] = c
		s.list = append(s.list, r)
	}
	return s
}

func compile(r Role) (*compiled, error) {
	c := &compiled{role: r}
	for _, p := range r.Permissions {
		bit, ok := permBit[p]
		if !ok {
			return nil, fmt.Errorf("unknown permission %q", p)
		}
		c.perms |= bit
	}
	var err error
	if c.allow, err = compileGlobs("tool_allow", r.ToolAllow); err != nil {
		return nil, err
	}
	if c.deny, err = compileGlobs("tool_deny", r.ToolDeny); err != nil {
		return nil, err
	}
	return c, nil
}

func compileGlobs(field string, patterns []string) ([]policy.Glob, error) {
	var out []policy.Glob
	for _, p := range patterns {
		if p == "" {
			return nil, fmt.Errorf("%s: empty glob", field)
		}
		g, err := policy.CompileGlob(p)
		if err != nil {
			return nil, fmt.Errorf("%s: bad glob %q: %w", field, p, err)
		}
		out = append(out, g)
	}
	return out, nil
}

func fromStore(r store.Role) Role {
	return Role{Name: r.Name, Description: r.Description, Permissions: slices.Clone(r.Permissions),
		ToolAllow: slices.Clone(r.ToolAllow), ToolDeny: slices.Clone(r.ToolDeny),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// cloneRole copies the lists, never nil, so that they encode as [] in JSON.
func cloneRole(r Role) Role {
	r.Permissions = append([]string{}, r.Permissions...)
	r.ToolAllow = append([]string{}, r.ToolAllow...)
	r.ToolDeny = append([]string{}, r.ToolDeny...)
	return r
}
