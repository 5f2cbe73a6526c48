// Package store keeps the hub's durable state — users, API keys, agents, roles, settings,
// tool states, audit — behind one interface per entity, with a single SQL implementation for
// SQLite and PostgreSQL.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
)

// Sentinel errors. Every driver error that means one of these is mapped to it, so callers
// can branch with errors.Is regardless of the database in use.
var (
	// ErrNotFound: the entity, or an entity it refers to, does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: an entity with the same ID (or another unique field) already exists.
	ErrConflict = errors.New("store: conflict")
)

// Key kinds.
const (
	KindUser  = "user"
	KindAgent = "agent"
)

// Key scopes: what a user key may be used for (docs/IDENTITY.md, "Key scopes").
const (
	ScopeMCP   = "mcp"   // MCP calls only: /mcp, /sse, /messages
	ScopeAdmin = "admin" // the REST API (/api/v1) only
	ScopeAll   = "all"   // both
)

// ValidScope reports whether s is one of ScopeMCP, ScopeAdmin and ScopeAll.
func ValidScope(s string) bool { return s == ScopeMCP || s == ScopeAdmin || s == ScopeAll }

// Key surfaces (docs/DISCOVERY.md): what a key's client sees of the catalog.
const (
	SurfaceFull      = "full"      // every tool it may call
	SurfaceDiscovery = "discovery" // three tools that search, describe and call them
)

// ValidSurface reports whether s is a key's surface: "" (not chosen), SurfaceFull or
// SurfaceDiscovery.
func ValidSurface(s string) bool { return s == "" || s == SurfaceFull || s == SurfaceDiscovery }

// User is a person (or automation) that holds API keys.
type User struct {
	ID   string
	Name string // unique
	Role string // a built-in role ("owner", "operator", "viewer") or a custom one
	// PasswordHash is an argon2id PHC string (see hub/auth); "" means no password login.
	PasswordHash string
	// Disabled users cannot log in and their keys are refused.
	Disabled bool
	// FailedLogins counts consecutive failed logins; LockedUntil is set when they lock the user.
	FailedLogins int
	LockedUntil  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// APIKey is the stored half of an API key: never the plaintext, only its SHA-256.
type APIKey struct {
	ID      string
	Name    string
	Prefix  string // first 12 characters of the plaintext, for display
	Hash    string // hex SHA-256 of the plaintext
	Kind    string // KindUser (UserID set) or KindAgent (AgentID set)
	UserID  string
	AgentID string
	// Application is "" for a personal key, else the application the key is for (e.g.
	// "cursor"); policies match it with `applications`.
	Application string
	// Scope is ScopeMCP, ScopeAdmin or ScopeAll; CreateKey stores "" as ScopeMCP for a
	// user key (the narrowest useful one) and ScopeAll for an agent key (which only opens
	// agent tunnels, whatever its scope).
	Scope string
	// Role, if not empty, is the role the key acts with instead of its user's: one the
	// user's role covers (checked by the REST API at creation and by the key cache at
	// every use). "" means the user's own role. Agent keys have none.
	Role string
	// Surface is what the key's client sees of the catalog: "" (its application's, else
	// the endpoint's), SurfaceFull or SurfaceDiscovery (docs/DISCOVERY.md). Agent keys have none.
	Surface string
	// Groups, if not empty, limits the key to these tool groups' endpoints (/mcp/<group>):
	// it reaches neither /mcp nor any other group. Agent keys have none.
	Groups     []string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Agent is an enrolled agent; its ID is the name it publishes backends under.
type Agent struct {
	ID        string
	Name      string
	CreatedAt time.Time
	RevokedAt *time.Time
	// LastSeenAt is when a hub last recorded holding the agent's tunnel (SetAgentsSeen);
	// nil if never.
	LastSeenAt *time.Time
}

// Users stores users. A second user with the same name is ErrConflict.
type Users interface {
	// CreateUser inserts u, filling in ID (if empty), CreatedAt (if zero) and UpdatedAt.
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	GetUserByName(ctx context.Context, name string) (*User, error)
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser writes u's Name, Role and Disabled and sets u.UpdatedAt; other fields
	// have their own methods.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes the user and, with it, all its keys.
	DeleteUser(ctx context.Context, id string) error
	// SetPasswordHash stores a new hash ("" disables password login) and clears any lockout.
	SetPasswordHash(ctx context.Context, id, hash string) error
	// RecordLoginFailure adds one to the user's consecutive failed logins and returns the
	// new count; a non-nil lockUntil also sets LockedUntil.
	RecordLoginFailure(ctx context.Context, id string, lockUntil *time.Time) (failures int, err error)
	// ResetLoginFailures sets the count to zero and clears LockedUntil.
	ResetLoginFailures(ctx context.Context, id string) error
}

// Role is a custom role. The built-in roles (owner, operator, viewer) live in hub/rbac and
// are never stored; their names are reserved there.
type Role struct {
	Name        string
	Description string
	Permissions []string // see hub/rbac
	ToolAllow   []string // tool-name globs; empty allows every tool
	ToolDeny    []string // tool-name globs; deny wins over allow
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Roles stores custom roles, keyed by name.
type Roles interface {
	// CreateRole inserts r, filling in CreatedAt (if zero) and UpdatedAt.
	CreateRole(ctx context.Context, r *Role) error
	GetRole(ctx context.Context, name string) (*Role, error)
	ListRoles(ctx context.Context) ([]Role, error)
	// UpdateRole replaces the role's description, permissions and tool globs.
	UpdateRole(ctx context.Context, r *Role) error
	DeleteRole(ctx context.Context, name string) error
}

// Settings is a small key/value store for hub-wide values such as "jwt_secret" and "policy".
type Settings interface {
	// GetSetting returns ErrNotFound for a key never put.
	GetSetting(ctx context.Context, key string) (string, error)
	// PutSetting inserts or replaces the value.
	PutSetting(ctx context.Context, key, value string) error
	// CreateSetting inserts the value only if the key is new, else ErrConflict: the way
	// several hubs agree on one generated value (the first writer wins).
	CreateSetting(ctx context.Context, key, value string) error
}

// Keys stores API keys.
type Keys interface {
	// CreateKey inserts k, filling in ID (if empty) and CreatedAt (if zero). The user or
	// agent it belongs to must exist (else ErrNotFound).
	CreateKey(ctx context.Context, k *APIKey) error
	GetKey(ctx context.Context, id string) (*APIKey, error)
	ListKeys(ctx context.Context) ([]APIKey, error)
	// ListUserKeys returns one user's keys only.
	ListUserKeys(ctx context.Context, userID string) ([]APIKey, error)
	// SetKeySurface changes a user key's surface ("", SurfaceFull or SurfaceDiscovery);
	// ErrNotFound for no such user key.
	SetKeySurface(ctx context.Context, id, surface string) error
	// RevokeKey marks the key revoked; revoking again keeps the first time.
	RevokeKey(ctx context.Context, id string) error
	// ActiveKeys returns keys that are neither revoked, expired, nor bound to a revoked agent.
	ActiveKeys(ctx context.Context) ([]APIKey, error)
	// TouchKeys records last-used times by key ID in one batch. Unknown IDs are ignored
	// and a time never moves backwards.
	TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error
}

// Agents stores agents.
type Agents interface {
	// CreateAgent inserts a, filling in ID (if empty) and CreatedAt (if zero).
	CreateAgent(ctx context.Context, a *Agent) error
	GetAgent(ctx context.Context, id string) (*Agent, error)
	ListAgents(ctx context.Context) ([]Agent, error)
	// RevokeAgent marks the agent and all its keys revoked, in one transaction.
	RevokeAgent(ctx context.Context, id string) error
	// SetAgentsSeen records at as the last-seen time of the agents ids, in one statement;
	// unknown ids are ignored and a later time already recorded is kept.
	SetAgentsSeen(ctx context.Context, ids []string, at time.Time) error
}

// Store is the hub's whole durable state.
type Store interface {
	Users
	Keys
	Agents
	Tools
	Audit
	Roles
	Settings
	Backends
	Presences
	OAuthServer
	ToolGroups
	ConsoleSessions
	// Dialect is "sqlite" or "postgres".
	Dialect() string
	Close() error
}

// Config selects and locates the database.
type Config struct {
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or postgresql://.
	// Empty selects SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite file hub.db; it is created with mode 0700 if missing.
	DataDir string
	// MasterKey seals the backends' configurations (their env and headers hold secrets).
	// Nil: the key in DataDir's master.key, created at first open; with no DataDir either,
	// backends cannot be written (masterkey.ErrNoKey).
	MasterKey *masterkey.Key
	// SealPlaintext seals, at open, the backends' rows still in plaintext (written before
	// they were sealed). The hub sets it; the offline CLI does not, so that a CLI run with
	// another data directory (another master.key) never seals the hub's rows with a key the
	// hub does not have.
	SealPlaintext bool
}

// Open connects to the configured database and applies pending migrations.
func Open(ctx context.Context, cfg Config) (Store, error) {
	u := cfg.DatabaseURL
	key := cfg.MasterKey
	if key == nil && cfg.DataDir != "" && (u == "" || strings.HasPrefix(u, "postgres")) {
		var err error
		if key, err = masterkey.Load(cfg.DataDir, ""); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	switch {
	case u == "":
		return openSQLite(ctx, cfg.DataDir, key, cfg.SealPlaintext)
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return openPostgres(ctx, u, key, cfg.SealPlaintext)
	default:
		// Only the scheme is echoed: the URL may carry a password.
		scheme, _, _ := strings.Cut(u, ":")
		return nil, fmt.Errorf("open store: unsupported database URL scheme %q (want postgres:// or postgresql://)", scheme)
	}
}
