// Package store keeps the hub's durable state — users, API keys, agents, audit — behind one
// interface per entity, with a single SQL implementation for SQLite and PostgreSQL.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
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

// User is a person (or automation) that holds API keys.
type User struct {
	ID        string
	Name      string
	Role      string // "owner", …
	CreatedAt time.Time
}

// APIKey is the stored half of an API key: never the plaintext, only its SHA-256.
type APIKey struct {
	ID         string
	Name       string
	Prefix     string // first 12 characters of the plaintext, for display
	Hash       string // hex SHA-256 of the plaintext
	Kind       string // KindUser (UserID set) or KindAgent (AgentID set)
	UserID     string
	AgentID    string
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
}

// Users stores users.
type Users interface {
	// CreateUser inserts u, filling in ID (if empty) and CreatedAt (if zero).
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	ListUsers(ctx context.Context) ([]User, error)
}

// Keys stores API keys.
type Keys interface {
	// CreateKey inserts k, filling in ID (if empty) and CreatedAt (if zero). The user or
	// agent it belongs to must exist (else ErrNotFound).
	CreateKey(ctx context.Context, k *APIKey) error
	GetKey(ctx context.Context, id string) (*APIKey, error)
	ListKeys(ctx context.Context) ([]APIKey, error)
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
}

// Store is the hub's whole durable state.
type Store interface {
	Users
	Keys
	Agents
	Tools
	Audit
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
}

// Open connects to the configured database and applies pending migrations.
func Open(ctx context.Context, cfg Config) (Store, error) {
	u := cfg.DatabaseURL
	switch {
	case u == "":
		return openSQLite(ctx, cfg.DataDir)
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return openPostgres(ctx, u)
	default:
		// Only the scheme is echoed: the URL may carry a password.
		scheme, _, _ := strings.Cut(u, ":")
		return nil, fmt.Errorf("open store: unsupported database URL scheme %q (want postgres:// or postgresql://)", scheme)
	}
}
