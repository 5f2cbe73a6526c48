package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// CreateOwner creates the first user, with role owner, and a key for it. The plaintext key
// is returned once and never stored. It refuses (ErrConflict) once any user exists.
func CreateOwner(ctx context.Context, s store.Store, name string) (*store.User, string, error) {
	if name == "" {
		return nil, "", errors.New("create owner: name is empty")
	}
	users, err := s.ListUsers(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("create owner: %w", err)
	}
	if len(users) > 0 {
		return nil, "", fmt.Errorf("create owner: already initialised (%d users exist): %w", len(users), store.ErrConflict)
	}
	u := &store.User{Name: name, Role: rbac.RoleOwner}
	if err := s.CreateUser(ctx, u); err != nil {
		return nil, "", fmt.Errorf("create owner: %w", err)
	}
	// The owner's first key is the bootstrap credential: it administers the hub and is the
	// one key the operator has to try /mcp with, so it gets both scopes. Keys for AI clients
	// are made with the narrower default, "mcp" (docs/IDENTITY.md, "Key scopes").
	_, key, err := CreateUserKey(ctx, s, u.ID, KeyOptions{Name: "owner key (init)", Scope: store.ScopeAll})
	if err != nil {
		return nil, "", fmt.Errorf("create owner: %w", err)
	}
	return u, key, nil
}

// KeyOptions describe a new user key.
type KeyOptions struct {
	Name string
	// Application is "" for a personal key, else what the key is for (e.g. "cursor");
	// policies match it with `applications`. See ValidApplication.
	Application string
	// ExpiresAt, if set, must be in the future.
	ExpiresAt *time.Time
	// Scope is store.ScopeMCP, ScopeAdmin or ScopeAll; "" means ScopeMCP, the narrowest
	// useful one: a key handed to an AI client then cannot reach the REST API.
	Scope string
	// Role, if set, is the role the key acts with instead of the user's; the caller checks
	// that the user's role covers it (rbac.Authorizer.Covers), and the key cache checks it
	// again at every use (Cache.SetRoleCeiling).
	Role string
	// Surface is what the key's client sees of the catalog: "" (its application's, else
	// the endpoint's), "full" or "discovery" (docs/DISCOVERY.md).
	Surface string
	// Groups, if set, limits the key to these tool groups' endpoints (docs/GROUPS.md); the
	// caller checks that they exist.
	Groups []string
}

// CreateUserKey creates a key for an existing user and returns the stored record and the
// plaintext (shown once).
func CreateUserKey(ctx context.Context, s store.Store, userID string, opts KeyOptions) (*store.APIKey, string, error) {
	if opts.ExpiresAt != nil && !opts.ExpiresAt.After(time.Now()) {
		return nil, "", fmt.Errorf("create key for user %q: expiry %s is in the past", userID, opts.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if opts.Application != "" {
		if err := ValidApplication(opts.Application); err != nil {
			return nil, "", fmt.Errorf("create key for user %q: %w", userID, err)
		}
	}
	if opts.Scope == "" {
		opts.Scope = store.ScopeMCP
	}
	if err := ValidScope(opts.Scope); err != nil {
		return nil, "", fmt.Errorf("create key for user %q: %w", userID, err)
	}
	if !store.ValidSurface(opts.Surface) {
		return nil, "", fmt.Errorf("create key for user %q: invalid surface %q: want %q or %q (or none)", userID, opts.Surface, store.SurfaceFull, store.SurfaceDiscovery)
	}
	for _, g := range opts.Groups {
		if err := config.ValidGroupName(g); err != nil {
			return nil, "", fmt.Errorf("create key for user %q: %w", userID, err)
		}
	}
	if _, err := s.GetUser(ctx, userID); err != nil {
		return nil, "", fmt.Errorf("create key: %w", err)
	}
	k := &store.APIKey{Name: opts.Name, Kind: store.KindUser, UserID: userID,
		Application: opts.Application, Scope: opts.Scope, Role: opts.Role, Surface: opts.Surface, Groups: opts.Groups, ExpiresAt: opts.ExpiresAt}
	plain, err := createKey(ctx, s, k)
	if err != nil {
		return nil, "", fmt.Errorf("create key for user %q: %w", userID, err)
	}
	return k, plain, nil
}

// ValidScope checks a key scope: "mcp" (MCP calls only), "admin" (the REST API only) or
// "all" (both).
func ValidScope(scope string) error {
	if !store.ValidScope(scope) {
		return fmt.Errorf("invalid scope %q: want %q (MCP calls only), %q (the admin REST API only) or %q (both)",
			scope, store.ScopeMCP, store.ScopeAdmin, store.ScopeAll)
	}
	return nil
}

// ValidApplication checks an application name: 1 to 64 letters, digits, '.', '_' and
// '-', starting with a letter or digit (e.g. "cursor", "claude-desktop", "vscode.copilot").
func ValidApplication(app string) error {
	if app == "" || len(app) > 64 {
		return fmt.Errorf("invalid application %q: must be 1 to 64 characters", app)
	}
	if !plainChars(app, "._-") {
		return fmt.Errorf("invalid application %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", app)
	}
	return nil
}

// plainChars reports whether s is ASCII letters, digits and bytes of punct, starting with a
// letter or digit.
func plainChars(s, punct string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || strings.IndexByte(punct, c) < 0) {
			return false
		}
	}
	return true
}

// EnrollAgent creates the agent if it does not exist yet and a new key bound to it.
// A revoked agent stays revoked: enrolling it again is refused (ErrConflict).
func EnrollAgent(ctx context.Context, s store.Store, agentID string) (*store.Agent, string, error) {
	if err := ValidAgentID(agentID); err != nil {
		return nil, "", fmt.Errorf("enroll agent: %w", err)
	}
	a, err := s.GetAgent(ctx, agentID)
	if errors.Is(err, store.ErrNotFound) {
		a = &store.Agent{ID: agentID, Name: agentID}
		err = s.CreateAgent(ctx, a)
		if errors.Is(err, store.ErrConflict) { // enrolled concurrently; use that one
			a, err = s.GetAgent(ctx, agentID)
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("enroll agent %q: %w", agentID, err)
	}
	if a.RevokedAt != nil {
		return nil, "", fmt.Errorf("enroll agent %q: agent was revoked at %s: %w",
			agentID, a.RevokedAt.Format(time.RFC3339), store.ErrConflict)
	}
	k := &store.APIKey{Name: "agent " + agentID, Kind: store.KindAgent, AgentID: agentID}
	plain, err := createKey(ctx, s, k)
	if err != nil {
		return nil, "", fmt.Errorf("enroll agent %q: %w", agentID, err)
	}
	return a, plain, nil
}

// RotateAgentKey issues a new key bound to an enrolled agent and then revokes every other key
// of that agent, so the id — and with it every exposed tool name — stays while the old key
// stops working. It returns the new key, its id and how many keys were revoked. An unknown id
// is store.ErrNotFound, a revoked agent store.ErrConflict.
func RotateAgentKey(ctx context.Context, s store.Store, agentID string) (plain, keyID string, revoked int, err error) {
	if err := ValidAgentID(agentID); err != nil {
		return "", "", 0, fmt.Errorf("rotate agent key: %w", err)
	}
	a, err := s.GetAgent(ctx, agentID)
	if err != nil {
		return "", "", 0, fmt.Errorf("rotate the key of agent %q: %w", agentID, err)
	}
	if a.RevokedAt != nil {
		return "", "", 0, fmt.Errorf("rotate the key of agent %q: agent was revoked at %s: %w",
			agentID, a.RevokedAt.Format(time.RFC3339), store.ErrConflict)
	}
	keys, err := s.ListKeys(ctx)
	if err != nil {
		return "", "", 0, fmt.Errorf("rotate the key of agent %q: %w", agentID, err)
	}
	k := &store.APIKey{Name: "agent " + agentID, Kind: store.KindAgent, AgentID: agentID}
	if plain, err = createKey(ctx, s, k); err != nil {
		return "", "", 0, fmt.Errorf("rotate the key of agent %q: %w", agentID, err)
	}
	for _, old := range keys {
		if old.Kind != store.KindAgent || old.AgentID != agentID || old.RevokedAt != nil {
			continue
		}
		if err := s.RevokeKey(ctx, old.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", "", revoked, fmt.Errorf("rotate the key of agent %q: revoke old key %s (the new key works; rotate again): %w", agentID, old.ID, err)
		}
		revoked++
	}
	return plain, k.ID, revoked, nil
}

// ValidAgentID checks an agent ID against ^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$, the form
// that can appear in exposed tool names.
func ValidAgentID(id string) error {
	if id == "" || len(id) > 48 {
		return fmt.Errorf("invalid agent id %q: must be 1 to 48 characters", id)
	}
	if !plainChars(id, "_-") {
		return fmt.Errorf("invalid agent id %q: use letters, digits, '_' and '-', starting with a letter or digit", id)
	}
	return nil
}

// createKey fills k with a new key's prefix and hash, stores it, and returns the plaintext.
func createKey(ctx context.Context, s store.Store, k *store.APIKey) (string, error) {
	plain, err := NewKey()
	if err != nil {
		return "", err
	}
	k.Prefix, k.Hash = plain[:displayChars], HashKey(plain)
	if err := s.CreateKey(ctx, k); err != nil {
		return "", err
	}
	return plain, nil
}
