package auth

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Identity is who a key speaks for.
type Identity struct {
	KeyID  string
	UserID string // set for user keys
	Name   string // the user's name, or the agent ID
	Role   string // the role the key acts with (its own, else its user's); empty for agent keys
	// UserRole is the user's own role (for a user key); it differs from Role when the key
	// has a narrower role of its own.
	UserRole string
	Kind     string // store.KindUser or store.KindAgent
	AgentID  string // set for agent keys
	// Application is what the key was made for ("" for a personal key, a JWT, or an agent).
	Application string
	// Scope is what a key may be used for: store.ScopeMCP, ScopeAdmin or ScopeAll ("" for
	// a JWT access token, which the REST API takes and /mcp does not). See AllowsMCP and
	// AllowsAdmin.
	Scope string
	// Groups, when not empty, limits a key to these tool groups' endpoints (/mcp/<group>):
	// it reaches neither /mcp nor other groups (docs/GROUPS.md). Comma-separated (group
	// names have no comma), so that an Identity stays comparable; see MayUseGroup.
	Groups string
	// TokenID is the jti of a JWT access token (empty for a key): the credential an audit
	// row names when there is no key.
	TokenID string
	// Surface is the key's own surface ("" when it chooses none): docs/DISCOVERY.md.
	Surface string
}

// MayUseGroup reports whether the credential may reach a tool group's endpoint: any
// group when it is not limited to groups. group "" is /mcp itself.
func (id Identity) MayUseGroup(group string) bool {
	if id.Groups == "" {
		return true
	}
	return group != "" && slices.Contains(strings.Split(id.Groups, ","), group)
}

// AllowsMCP reports whether the credential may make MCP calls (/mcp, /sse, /messages).
func (id Identity) AllowsMCP() bool { return id.Scope == store.ScopeMCP || id.Scope == store.ScopeAll }

// AllowsAdmin reports whether the credential may call the REST API (/api/v1): a key of
// scope admin or all, or a JWT access token (Scope "").
func (id Identity) AllowsAdmin() bool {
	return id.Scope == "" || id.Scope == store.ScopeAdmin || id.Scope == store.ScopeAll
}

// Cache answers key lookups from memory. Lookups read an immutable snapshot through an
// atomic pointer and take no lock; writers publish a whole new snapshot.
type Cache struct {
	store        store.Store
	logger       *slog.Logger
	now          func() time.Time
	refreshEvery time.Duration
	flushEvery   time.Duration
	ceiling      atomic.Pointer[RoleCeiling] // nil: keys with a role of their own are refused

	snap        atomic.Pointer[snapshot] // never modified once published
	refreshMu   sync.Mutex               // one Refresh at a time: an older read never replaces a newer one
	lastRefresh atomic.Int64             // unix nanoseconds when the last reload started
	flushMu     sync.Mutex               // one flush at a time
	orphansMu   sync.Mutex
	orphans     map[string]*usage // keys dropped by Refresh whose last use may be unflushed

	// loading is closed when the first load RefreshInBackground started has ended; nil
	// when none was started. The lookups wait for it, at most FirstLoadWait.
	loading chan struct{}
}

// FirstLoadWait bounds how long a lookup waits for the first load of the keys.
const FirstLoadWait = 30 * time.Second

// RefreshInBackground starts the first Refresh and returns at once: a hub with 10,000
// keys is ready sooner (issue 11, cold start), and the lookups made meanwhile wait for the
// keys instead of refusing them. A failed load is tried again every retry until ctx ends.
// Call it before serving, instead of Refresh.
func (c *Cache) RefreshInBackground(ctx context.Context, retry time.Duration) {
	done := make(chan struct{})
	c.loading = done
	go func() {
		defer close(done)
		for {
			err := c.Refresh(ctx)
			if err == nil {
				return
			}
			c.logger.Warn("load keys (trying again)", "err", err, "in", retry)
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
		}
	}()
}

// current returns the last snapshot, waiting for the first one if RefreshInBackground is
// still reading it; nil if there is none.
func (c *Cache) current() *snapshot {
	if s := c.snap.Load(); s != nil || c.loading == nil {
		return s
	}
	t := time.NewTimer(FirstLoadWait)
	defer t.Stop()
	select {
	case <-c.loading:
	case <-t.C:
	}
	return c.snap.Load()
}

// snapshot is what one Refresh read.
type snapshot struct {
	keys  map[string]*entry     // key hash → entry
	byID  map[string]*entry     // key id → the same entries
	users map[string]store.User // id → user, disabled ones included
}

type entry struct {
	ident    Identity
	userRole string    // the user's role when the key has one of its own (ident.Role), else ""
	expires  time.Time // zero: never
	use      *usage    // shared with the entry for the same key in later snapshots
}

// RoleCeiling tells whether one role covers another (*rbac.Authorizer).
type RoleCeiling interface {
	Covers(role, target string) bool
}

// SetRoleCeiling installs the check that a key's own role stays within its user's role. It
// runs at every use, against the user's role as of the last Refresh and the roles as they
// are now, so a user demoted (or a custom role widened) after the key was made cannot keep
// the key's higher role: the key is refused until its user's role covers it again. Without
// a ceiling, keys with a role of their own are refused.
func (c *Cache) SetRoleCeiling(r RoleCeiling) { c.ceiling.Store(&r) }

// withinCeiling reports whether e's role, if it has its own, is covered by its user's.
func (c *Cache) withinCeiling(e *entry) bool {
	if e.userRole == "" {
		return true
	}
	r := c.ceiling.Load()
	return r != nil && (*r).Covers(e.userRole, e.ident.Role)
}

// usage is the last-used time of one key, written lock-free by Lookup.
type usage struct {
	last    atomic.Int64 // unix nanoseconds of the latest recorded lookup; 0 if none
	flushed atomic.Int64 // the value of last that was written to the store
}

// NewCache returns an empty cache over s; call Refresh before serving and Run alongside.
func NewCache(s store.Store, logger *slog.Logger) *Cache {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Cache{
		store:        s,
		logger:       logger,
		now:          time.Now,
		refreshEvery: 30 * time.Second,
		flushEvery:   30 * time.Second,
	}
}

// Lookup returns the identity of a key if it is well formed, known, not revoked as of the
// last Refresh, and not expired now. Hashing first makes the map lookup timing-safe.
func (c *Cache) Lookup(plaintext string) (Identity, bool) {
	if !wellFormed(plaintext) {
		return Identity{}, false
	}
	snap := c.current()
	if snap == nil {
		return Identity{}, false
	}
	hash := HashKey(plaintext)
	e, ok := snap.keys[hash]
	if !ok {
		if e, ok = c.missed(hash); !ok {
			return Identity{}, false
		}
	}
	now := c.now()
	if !e.expires.IsZero() && !now.Before(e.expires) {
		return Identity{}, false
	}
	if !c.withinCeiling(e) {
		return Identity{}, false
	}
	// Second resolution is plenty for "last used" and spares the shared cache line.
	if n := now.UnixNano(); n-e.use.last.Load() >= int64(time.Second) {
		e.use.last.Store(n)
	}
	return e.ident, true
}

// MissRefresh is the least time between two reloads caused by an unknown key. A key made
// by the offline CLI (`agents enroll`, `keys create`) while the hub runs works at its first
// use instead of after the periodic refresh; a flood of bad keys costs at most one store
// read per MissRefresh, and concurrent misses do not wait for it.
const MissRefresh = 2 * time.Second

// missed reloads the cache once for an unknown key, if no reload happened for MissRefresh
// and none is running, and looks the key up again.
func (c *Cache) missed(hash string) (*entry, bool) {
	if c.now().UnixNano()-c.lastRefresh.Load() < int64(MissRefresh) || !c.refreshMu.TryLock() {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := c.refreshLocked(ctx)
	cancel()
	c.refreshMu.Unlock()
	if err != nil {
		c.logger.Warn("reload keys for an unknown key", "err", err)
		return nil, false
	}
	e, ok := c.snap.Load().keys[hash]
	return e, ok
}

// Refresh reloads all active keys and their users from the store; keys of disabled users
// are left out. Call it at start and after every write that affects keys, users or agents.
func (c *Cache) Refresh(ctx context.Context) error {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	return c.refreshLocked(ctx)
}

func (c *Cache) refreshLocked(ctx context.Context) error {
	c.lastRefresh.Store(c.now().UnixNano())
	keys, err := c.store.ActiveKeys(ctx)
	if err != nil {
		return fmt.Errorf("refresh key cache: %w", err)
	}
	users, err := c.store.ListUsers(ctx)
	if err != nil {
		return fmt.Errorf("refresh key cache: %w", err)
	}
	userByID := make(map[string]store.User, len(users))
	for _, u := range users {
		u.PasswordHash = "" // not needed on the hot path; keep it out of long-lived memory
		userByID[u.ID] = u
	}

	prev := make(map[string]*usage)
	if old := c.snap.Load(); old != nil {
		for _, e := range old.keys {
			prev[e.ident.KeyID] = e.use
		}
	}
	next := make(map[string]*entry, len(keys))
	byID := make(map[string]*entry, len(keys))
	for _, k := range keys {
		ident := Identity{KeyID: k.ID, Kind: k.Kind, Scope: k.Scope, Groups: strings.Join(k.Groups, ",")}
		userRole := ""
		switch k.Kind {
		case store.KindUser:
			u, ok := userByID[k.UserID]
			if !ok {
				c.logger.Warn("key belongs to an unknown user; ignored", "key", k.ID, "user", k.UserID)
				continue
			}
			if u.Disabled {
				continue
			}
			ident.UserID, ident.Name, ident.Role, ident.Application = u.ID, u.Name, u.Role, k.Application
			ident.Surface = k.Surface
			ident.UserRole = u.Role
			if k.Role != "" {
				if k.Role != u.Role {
					userRole = u.Role
				}
				ident.Role = k.Role
			}
		case store.KindAgent:
			ident.AgentID, ident.Name = k.AgentID, k.AgentID
		default:
			c.logger.Warn("key of unknown kind; ignored", "key", k.ID, "kind", k.Kind)
			continue
		}
		e := &entry{ident: ident, userRole: userRole, use: prev[k.ID]}
		if e.use == nil {
			e.use = &usage{}
		}
		delete(prev, k.ID)
		if k.ExpiresAt != nil {
			e.expires = *k.ExpiresAt
		}
		next[k.Hash], byID[k.ID] = e, e
	}
	c.adoptOrphans(prev)
	c.snap.Store(&snapshot{keys: next, byID: byID, users: userByID})
	return nil
}

// Invalidate reloads the cache at once. The REST API calls it after every write to keys,
// users or agents, so that a revoked key or a disabled user is refused by this hub
// immediately; other hubs on PostgreSQL reload on the database's change notification
// (hub/server, changes.go), and at worst within their refresh period (30 s).
func (c *Cache) Invalidate(ctx context.Context) error {
	return c.Refresh(ctx)
}

// User returns the user with this id as of the last Refresh, disabled ones included,
// without its PasswordHash.
func (c *Cache) User(id string) (store.User, bool) {
	snap := c.current()
	if snap == nil {
		return store.User{}, false
	}
	u, ok := snap.users[id]
	return u, ok
}

// adoptOrphans keeps the usage of keys that left the cache until it has been flushed.
func (c *Cache) adoptOrphans(dropped map[string]*usage) {
	c.orphansMu.Lock()
	defer c.orphansMu.Unlock()
	for id, u := range dropped {
		if u.last.Load() > u.flushed.Load() {
			if c.orphans == nil {
				c.orphans = make(map[string]*usage)
			}
			c.orphans[id] = u
		}
	}
}

// flush writes last-used times recorded since the previous flush with one TouchKeys call.
func (c *Cache) flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.orphansMu.Lock()
	orphans := c.orphans
	c.orphans = nil
	c.orphansMu.Unlock()

	batch := make(map[string]time.Time)
	written := make(map[*usage]int64)
	collect := func(id string, u *usage) {
		v := u.last.Load()
		if v <= u.flushed.Load() {
			return
		}
		t := time.Unix(0, v).UTC()
		if t.After(batch[id]) {
			batch[id] = t
		}
		written[u] = v
	}
	if snap := c.snap.Load(); snap != nil {
		for _, e := range snap.keys {
			collect(e.ident.KeyID, e.use)
		}
	}
	for id, u := range orphans {
		collect(id, u)
	}
	if len(batch) == 0 {
		return nil
	}
	if err := c.store.TouchKeys(ctx, batch); err != nil {
		c.adoptOrphans(orphans) // try those again next time
		return fmt.Errorf("flush last-used times: %w", err)
	}
	for u, v := range written {
		u.flushed.Store(v)
	}
	return nil
}

// Run refreshes the cache (so writes made by other hubs or the CLI arrive) and flushes
// last-used times, each every 30 seconds, until ctx ends; then it flushes once more.
// Failures along the way are logged and the previous snapshot keeps serving.
func (c *Cache) Run(ctx context.Context) error {
	if c.snap.Load() == nil {
		if err := c.Refresh(ctx); err != nil && ctx.Err() == nil {
			c.logger.Warn("auth cache refresh failed", "err", err)
		}
	}
	refresh := time.NewTicker(c.refreshEvery)
	defer refresh.Stop()
	flush := time.NewTicker(c.flushEvery)
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			return c.flush(fctx)
		case <-refresh.C:
			if err := c.Refresh(ctx); err != nil && ctx.Err() == nil {
				c.logger.Warn("auth cache refresh failed; serving the previous keys", "err", err)
			}
		case <-flush.C:
			if err := c.flush(ctx); err != nil && ctx.Err() == nil {
				c.logger.Warn("auth cache flush failed; will retry", "err", err)
			}
		}
	}
}

// KeyActive reports whether the key with this id is known, not revoked (as of the last
// Refresh) and not expired. The hub uses it to drop agents whose key was revoked.
func (c *Cache) KeyActive(keyID string) bool {
	snap := c.current()
	if snap == nil {
		return false
	}
	e, ok := snap.byID[keyID]
	return ok && (e.expires.IsZero() || c.now().Before(e.expires))
}

// Current returns the identity of the key with this id as of the last Refresh (its user's
// current name and role), if the key is known, not revoked and not expired, and its user
// is neither disabled nor deleted. The gateway uses it to end the streams of callers that
// changed (EndStaleStreams).
func (c *Cache) Current(keyID string) (Identity, bool) {
	snap := c.current()
	if snap == nil {
		return Identity{}, false
	}
	e, ok := snap.byID[keyID]
	if !ok || (!e.expires.IsZero() && !c.now().Before(e.expires)) || !c.withinCeiling(e) {
		return Identity{}, false
	}
	return e.ident, true
}
