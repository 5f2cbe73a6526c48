package store

import (
	"context"
	"errors"
	"time"
)

// ErrBadCursor: a QueryAudit cursor that this store did not hand out (or that was altered).
var ErrBadCursor = errors.New("store: invalid audit cursor")

// Audit event kinds.
const (
	AuditCall      = "call"      // a tool call (or other MCP request) that reached a backend
	AuditDenied    = "denied"    // a request refused by auth, RBAC or policy
	AuditAdmin     = "admin"     // a change made through the REST API or the CLI
	AuditIntegrity = "integrity" // a tool quarantined, approved, or changed after pinning
	AuditLogin     = "login"     // a login attempt
)

// AuditEvent is one audited action. Empty strings mean "not applicable".
type AuditEvent struct {
	ID          string // unique across hubs and time-ordered (hub/audit.NewID)
	Time        time.Time
	Kind        string // AuditCall, AuditDenied, AuditAdmin, AuditIntegrity, AuditLogin
	UserID      string
	KeyID       string
	Caller      string // display name of the caller (user name or agent id)
	Role        string
	Application string
	Agent       string
	Backend     string
	Tool        string // the backend's own tool name, or the exposed name when unrouted
	Risk        string
	Decision    string // "allow", "deny" or ""
	Rule        string // the policy rule (or RBAC reason) that decided
	Status      string // "ok", "error" or "denied"
	Error       string
	Duration    time.Duration
	TraceID     string
	// RequestHash and ResponseHash are hex SHA-256 of the raw bytes, before redaction.
	RequestHash  string
	ResponseHash string
	// Request and Response are redacted, possibly truncated JSON.
	Request  string
	Response string
	Action   string // admin changes, e.g. "keys.revoke"
	Target   string // what the action applied to, e.g. "key_123"
	Detail   string // JSON
}

// AuditQuery selects audit events. Zero fields do not filter; string filters match exactly.
type AuditQuery struct {
	From                                                              time.Time // inclusive
	To                                                                time.Time // exclusive
	UserID, Agent, Backend, Tool, Kind, Status, Decision, Application string
	TraceID                                                           string
	KeyID                                                             string // the API key (or OAuth grant) that made the call
	// Cursor continues a previous QueryAudit; it must come with the same filters.
	Cursor string
	// Limit bounds the page: 0 means 100, more than 1000 means 1000.
	Limit int
}

// AuditStats counts the events a query selects (Cursor and Limit are ignored).
type AuditStats struct {
	Total      int64
	ByStatus   map[string]int64
	ByDecision map[string]int64
	ByKind     map[string]int64
}

// Usage grouping keys for UsageQuery.By.
const (
	UsageByTool        = "tool"
	UsageByUser        = "user"
	UsageByAgent       = "agent"
	UsageByBackend     = "backend"
	UsageByApplication = "application"
)

// UsageQuery asks for call counts per time bucket and key. Only events of kind "call" and
// "denied" count.
type UsageQuery struct {
	From time.Time // inclusive; zero: no lower bound
	To   time.Time // exclusive; zero: no upper bound
	// Bucket is the bucket width, whole seconds, at least one second; 0 means one hour.
	// Buckets are aligned to the Unix epoch (an hour bucket starts on the hour, UTC).
	Bucket time.Duration
	// By is UsageByTool (default when empty), UsageByUser, UsageByAgent, UsageByBackend
	// or UsageByApplication.
	By string
	// UserID restricts the counts to one user's calls (for callers who may only see their own).
	UserID string
}

// UsageRow is one (bucket, key) cell of a usage report.
type UsageRow struct {
	Bucket      time.Time
	Key         string
	Calls       int64 // events of kind "call" or "denied"
	Errors      int64 // status "error"
	Denied      int64 // status "denied"
	AvgDuration time.Duration
}

// Audit stores audit events.
type Audit interface {
	// InsertAudit stores events in one batch. It is idempotent on (Time, ID): an event
	// whose time and ID are already stored is skipped, so a journal can be replayed after a
	// crash (IDs are unique; the pair is the table's key). It does not keep events after
	// it returns: the audit shipper reuses the slice for its next batch.
	InsertAudit(ctx context.Context, events []AuditEvent) error
	// QueryAudit returns one page of matching events, newest first, and a cursor for the
	// next page ("" when there is none). A malformed cursor is ErrBadCursor.
	QueryAudit(ctx context.Context, q AuditQuery) (events []AuditEvent, next string, err error)
	// AuditStats counts matching events in total and by status, decision and kind.
	AuditStats(ctx context.Context, q AuditQuery) (AuditStats, error)
	// AuditUsage reports calls per time bucket and key, ordered by bucket then key.
	AuditUsage(ctx context.Context, q UsageQuery) ([]UsageRow, error)
	// DeleteAuditBefore deletes events older than t and returns how many it deleted.
	DeleteAuditBefore(ctx context.Context, t time.Time) (int64, error)
}
