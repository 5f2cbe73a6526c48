package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Login refusals. Unknown user, wrong password and a user without a password all give
// ErrInvalidCredentials, after the same work (one argon2id verification) and no sooner
// than LoginConfig.FailureFloor, so a caller cannot tell them apart.
var (
	ErrInvalidCredentials = errors.New("invalid user name or password")
	ErrLocked             = errors.New("user is locked after too many failed logins")
	ErrUserDisabled       = errors.New("user is disabled")
	ErrWrongPassword      = errors.New("current password is wrong")
)

// LockedError is returned while a user is locked; errors.Is(err, ErrLocked) holds.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v: locked until %s", ErrLocked, e.Until.UTC().Format(time.RFC3339))
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// LoginConfig tunes the lockout. The zero value gives the defaults.
type LoginConfig struct {
	// MaxFailures consecutive failed logins of a name from one client address lock that
	// name from that address (default 5). Other addresses are not affected: an attacker's
	// failures do not lock the real user out.
	MaxFailures int
	// MaxUserFailures consecutive failed logins of a user from all addresses together lock
	// the user everywhere (default 10 × MaxFailures): the backstop against guessing from
	// many addresses. Counted in the store, so shared by the hubs of one database.
	MaxUserFailures int
	// LockFor is how long a lock lasts (default 15 minutes); afterwards the count restarts.
	LockFor time.Duration
	// FailureFloor is the least time a failed login takes (default 250 ms), so that the
	// failure paths cost the same; negative turns it off.
	FailureFloor time.Duration
}

func (c LoginConfig) withDefaults() LoginConfig {
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.MaxUserFailures <= 0 {
		c.MaxUserFailures = 10 * c.MaxFailures
	}
	if c.LockFor <= 0 {
		c.LockFor = 15 * time.Minute
	}
	if c.FailureFloor == 0 {
		c.FailureFloor = 250 * time.Millisecond
	}
	return c
}

// TokenPair is what Login and Refresh return, in the JSON shape of the REST API.
type TokenPair struct {
	AccessToken      string    `json:"access_token"`
	RefreshToken     string    `json:"refresh_token"`
	TokenType        string    `json:"token_type"` // "Bearer"
	ExpiresAt        time.Time `json:"expires_at"` // of the access token
	RefreshExpiresAt time.Time `json:"refresh_expires_at"`
}

// Authenticator logs users in with passwords and verifies their JWTs.
type Authenticator struct {
	store  store.Store
	tokens *Tokens
	cache  *Cache
	cfg    LoginConfig
	// Now is the clock for lockouts; tests set it (and Tokens.Now).
	Now func() time.Time

	dummyOnce sync.Once
	dummy     string // a hash verified for unknown users, so they cost the same

	hashSem  chan struct{}   // bounds concurrent argon2id work (maxConcurrentHashes)
	hashHook func(delta int) // tests: called with +1/-1 around each hash
	clients  userLocks       // one login or password check per client address at a time
	spent    spentTokens     // refresh tokens already exchanged
	fromAddr failures        // failed logins per (name, client address): MaxFailures
	phantoms failures        // failed logins of names without a stored count: MaxUserFailures
}

// maxConcurrentHashes bounds the argon2id computations running at once (19 MiB each): a
// burst of logins queues instead of exhausting memory.
const maxConcurrentHashes = 4

// NewAuthenticator returns an Authenticator over s. The cache answers VerifyAccess from
// memory (users, roles, disabled flags) and must be refreshed like for keys.
func NewAuthenticator(s store.Store, cache *Cache, tokens *Tokens, cfg LoginConfig) *Authenticator {
	return &Authenticator{store: s, tokens: tokens, cache: cache, cfg: cfg.withDefaults(), Now: time.Now,
		hashSem: make(chan struct{}, maxConcurrentHashes)}
}

// Login checks a user's password, tried from the client address from (ClientAddress), and
// returns a new token pair. Refused with a *LockedError before the password is looked at:
// a name that failed MaxFailures times in a row from this address (for LockFor, from this
// address only), and a user that failed MaxUserFailures times from all addresses together
// (everywhere). A disabled user is refused (ErrUserDisabled) only once the password is right.
func (a *Authenticator) Login(ctx context.Context, name, password, from string) (TokenPair, error) {
	start := time.Now()
	pair, err := a.login(ctx, name, password, from)
	if err != nil && (errors.Is(err, ErrInvalidCredentials) || errors.Is(err, ErrLocked)) {
		a.pad(ctx, start)
	}
	return pair, err
}

func (a *Authenticator) login(ctx context.Context, name, password, from string) (TokenPair, error) {
	u, err := a.checkPassword(ctx, name, password, from)
	if err != nil {
		return TokenPair{}, err
	}
	return a.issue(ctx, u)
}

// CheckPassword is Login without the tokens: the same lockouts, counting, padding and
// refusals, for a sign-in that hands out something else (the OAuth authorization page).
func (a *Authenticator) CheckPassword(ctx context.Context, name, password, from string) (*store.User, error) {
	start := time.Now()
	u, err := a.checkPassword(ctx, name, password, from)
	if err != nil && (errors.Is(err, ErrInvalidCredentials) || errors.Is(err, ErrLocked)) {
		a.pad(ctx, start)
	}
	return u, err
}

func (a *Authenticator) checkPassword(ctx context.Context, name, password, from string) (*store.User, error) {
	// One attempt per client address at a time, the user read under the lock: concurrent
	// guesses from one address each see the failures counted before them, so a burst cannot
	// check more than MaxFailures passwords before the lockout. And one address holds at
	// most one of the maxConcurrentHashes places: its burst queues behind itself, not in
	// front of a login from elsewhere. Known and unknown names queue alike.
	defer a.clients.lock(from)()
	key := fromKey(name, from)
	if until, locked := a.fromAddr.locked(key, a.Now()); locked {
		return nil, &LockedError{Until: until}
	}
	u, err := a.store.GetUserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, a.failWithoutUser(ctx, name, key, password)
	}
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if u.PasswordHash == "" {
		// No password to guess: counted like an unknown name, so the two look alike.
		return nil, a.failWithoutUser(ctx, name, key, password)
	}
	if err := a.checkLock(ctx, u); err != nil {
		return nil, err
	}
	ok, err := a.verify(ctx, u.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("login: stored hash of user %q: %w", u.ID, err)
	}
	if !ok {
		a.fromAddr.fail(key, a.Now(), a.cfg.MaxFailures, a.cfg.LockFor)
		if err := a.recordFailure(ctx, u); err != nil {
			return nil, err
		}
		return nil, ErrInvalidCredentials
	}
	if u.Disabled {
		return nil, ErrUserDisabled
	}
	a.fromAddr.forget(key)
	if u.FailedLogins > 0 {
		if err := a.store.ResetLoginFailures(ctx, u.ID); err != nil {
			return nil, fmt.Errorf("login: %w", err)
		}
	}
	return u, nil
}

// failWithoutUser refuses a login of a name that has no password in the store (unknown, or
// a user with keys only), after the work and the counting a wrong password costs: the
// per-address count, and in place of the store's count one in memory (per hub), which
// locks the name at MaxUserFailures like a user's.
func (a *Authenticator) failWithoutUser(ctx context.Context, name, key, password string) error {
	if until, locked := a.phantoms.locked(name, a.Now()); locked {
		return &LockedError{Until: until}
	}
	if err := a.verifyDummy(ctx, password); err != nil {
		return err
	}
	a.fromAddr.fail(key, a.Now(), a.cfg.MaxFailures, a.cfg.LockFor)
	a.phantoms.fail(name, a.Now(), a.cfg.MaxUserFailures, a.cfg.LockFor)
	return ErrInvalidCredentials
}

// checkLock refuses a locked user; once a lock is over the failure count starts again.
func (a *Authenticator) checkLock(ctx context.Context, u *store.User) error {
	if u.LockedUntil == nil {
		return nil
	}
	if a.Now().Before(*u.LockedUntil) {
		return &LockedError{Until: *u.LockedUntil}
	}
	if err := a.store.ResetLoginFailures(ctx, u.ID); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	u.FailedLogins, u.LockedUntil = 0, nil
	return nil
}

// recordFailure counts a wrong password in the store and locks the user everywhere at
// MaxUserFailures. Failures that raced past the threshold without locking (from several
// addresses at once) lock on their own.
func (a *Authenticator) recordFailure(ctx context.Context, u *store.User) error {
	until := a.Now().Add(a.cfg.LockFor)
	var lock *time.Time
	if u.FailedLogins+1 >= a.cfg.MaxUserFailures {
		lock = &until
	}
	n, err := a.store.RecordLoginFailure(ctx, u.ID, lock)
	if err == nil && lock == nil && n >= a.cfg.MaxUserFailures {
		_, err = a.store.RecordLoginFailure(ctx, u.ID, &until)
	}
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return nil
}

func (a *Authenticator) verifyDummy(ctx context.Context, password string) error {
	a.dummyOnce.Do(func() {
		a.dummy, _ = HashPassword("dummy password for unknown users")
	})
	_, err := a.verify(ctx, a.dummy, password)
	return err
}

// verify is VerifyPassword within the bound on concurrent hashing. A hash whose turn does
// not come before ctx ends is an error (not a wrong password).
func (a *Authenticator) verify(ctx context.Context, hash, password string) (bool, error) {
	var ok bool
	err := a.hashing(ctx, func() (err error) {
		ok, err = VerifyPassword(hash, password)
		return err
	})
	return ok, err
}

// hashing runs f, an argon2id computation, once fewer than maxConcurrentHashes run.
func (a *Authenticator) hashing(ctx context.Context, f func() error) error {
	select {
	case a.hashSem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("password check: %w", ctx.Err())
	}
	defer func() { <-a.hashSem }()
	if a.hashHook != nil {
		a.hashHook(1)
		defer a.hashHook(-1)
	}
	return f()
}

// userLocks serialises the password checks of each client address.
type userLocks struct {
	mu sync.Mutex
	m  map[string]*userLock
}

type userLock struct {
	mu   sync.Mutex
	refs int
}

// lock takes the lock of id and returns its release.
func (l *userLocks) lock(id string) func() {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*userLock)
	}
	ul := l.m[id]
	if ul == nil {
		ul = &userLock{}
		l.m[id] = ul
	}
	ul.refs++
	l.mu.Unlock()
	ul.mu.Lock()
	return func() {
		ul.mu.Unlock()
		l.mu.Lock()
		if ul.refs--; ul.refs == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
}

// pad makes a failed login last at least FailureFloor.
func (a *Authenticator) pad(ctx context.Context, start time.Time) {
	d := a.cfg.FailureFloor - time.Since(start)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (a *Authenticator) issue(ctx context.Context, u *store.User) (TokenPair, error) {
	now, err := a.issueTime(ctx, u)
	if err != nil {
		return TokenPair{}, err
	}
	access, ac, err := a.tokens.issueAt(now, u.ID, u.Role, TokenAccess)
	if err != nil {
		return TokenPair{}, err
	}
	refresh, rc, err := a.tokens.issueAt(now, u.ID, u.Role, TokenRefresh)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresAt: time.Unix(ac.ExpiresAt, 0).UTC(), RefreshExpiresAt: time.Unix(rc.ExpiresAt, 0).UTC()}, nil
}

// issueTime is when to date new tokens of u. A token's iat is in whole seconds, and tokens
// dated up to the second of the user's last change are refused (checkTokenUser), so within
// that second issuing waits for the next one: the token then postdates the change.
func (a *Authenticator) issueTime(ctx context.Context, u *store.User) (time.Time, error) {
	now := a.tokens.Now()
	if now.Unix() != u.UpdatedAt.Unix() {
		return now, nil
	}
	t := time.NewTimer(time.Unix(now.Unix()+1, 0).Sub(now))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return now, fmt.Errorf("issue token: %w", ctx.Err())
	}
	if now = a.tokens.Now(); now.Unix() == u.UpdatedAt.Unix() { // a clock that did not move
		now = time.Unix(now.Unix()+1, 0)
	}
	return now, nil
}
