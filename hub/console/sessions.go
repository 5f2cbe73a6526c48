package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// maxCached bounds the sessions a hub keeps in memory; past it one is forgotten (it stays
// in the database, and is read again at its next request).
const maxCached = 10000

// refreshBefore is how long before its access token expires a session gets a new one.
const refreshBefore = time.Minute

// Recheck is how long a hub trusts its memory of a session before reading the database's row
// again: a sign-out or a disabled user on another hub reaches this one within it.
const Recheck = 10 * time.Second

// sweepEvery is how often sign-ins delete the sessions past their expiry from the database.
const sweepEvery = 10 * time.Minute

// sessions are the console's sign-ins: rows of the database (store.ConsoleSession) keyed by
// the SHA-256 of the cookie, and this hub's memory of them, which spares the database a
// read per request (Recheck) and a write per request (touchEvery).
type sessions struct {
	cfg Config
	st  Store
	log *slog.Logger

	mu        sync.Mutex
	login     Login
	cache     map[string]*session // by id
	lastSweep time.Time
}

// session is this hub's memory of one row.
type session struct {
	id, userID string
	createdAt  time.Time
	expiresAt  time.Time

	mu        sync.Mutex // guards what follows
	lastUsed  time.Time  // last request of the user (not a background poll) known here
	written   time.Time  // lastUsed as last written to the database
	checked   time.Time  // when the row was last read
	access    string     // the access token minted for the session, and its expiry
	accessExp time.Time
}

func newSessions(cfg Config, st Store, log *slog.Logger) *sessions {
	return &sessions{cfg: cfg, st: st, log: log, cache: map[string]*session{}}
}

// SetLogin gives the console the REST API's login (built after the console, which the API
// needs for AccessToken).
func (ss *sessions) SetLogin(l Login) {
	ss.mu.Lock()
	ss.login = l
	ss.mu.Unlock()
}

func (ss *sessions) loginOf() Login {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.login
}

// touchEvery is how far a session's last use may run ahead of the database's row: the
// idle timeout seen by other hubs is that much less precise.
func (ss *sessions) touchEvery() time.Duration {
	return min(time.Minute, ss.cfg.IdleTimeout/10)
}

// start stores a new session of userID and returns its cookie value.
func (ss *sessions) start(r *http.Request, userID string, signedIn time.Time) (string, error) {
	cookie := randomToken()
	now := ss.cfg.Now()
	cs := store.ConsoleSession{ID: hashKey(cookie), UserID: userID, CreatedAt: signedIn, LastUsedAt: now,
		ExpiresAt: now.Add(ss.cfg.MaxAge)}
	if err := ss.st.CreateConsoleSession(r.Context(), cs); err != nil {
		return "", fmt.Errorf("console: store the session: %w", err)
	}
	ss.remember(ss.fromRow(&cs, now))
	ss.sweep(r.Context(), now)
	return cookie, nil
}

// sweep deletes the stored sessions past their expiry, at most every sweepEvery.
func (ss *sessions) sweep(ctx context.Context, now time.Time) {
	ss.mu.Lock()
	due := now.Sub(ss.lastSweep) >= sweepEvery
	if due {
		ss.lastSweep = now
	}
	ss.mu.Unlock()
	if !due {
		return
	}
	// Idle here by twice the timeout: another hub may not have written its last touch yet.
	if _, err := ss.st.DeleteStaleConsoleSessions(ctx, now, now.Add(-ss.cfg.IdleTimeout-ss.touchEvery())); err != nil {
		ss.log.Warn("console: stale sessions not deleted", "err", err)
	}
}

func (ss *sessions) fromRow(cs *store.ConsoleSession, now time.Time) *session {
	return &session{id: cs.ID, userID: cs.UserID, createdAt: cs.CreatedAt, expiresAt: cs.ExpiresAt,
		lastUsed: cs.LastUsedAt, written: cs.LastUsedAt, checked: now}
}

// remember caches s, forgetting some other session when memory is full (it stays in the
// database). Never takes a session's lock: lookup holds one while it forgets.
func (ss *sessions) remember(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.cache) >= maxCached {
		for id := range ss.cache { // map order is random
			delete(ss.cache, id)
			break
		}
	}
	ss.cache[s.id] = s
}

func (ss *sessions) forget(id string) {
	ss.mu.Lock()
	delete(ss.cache, id)
	ss.mu.Unlock()
}

// lookup returns the live session of cookie, or nil; touch counts the request as the
// user's activity. A session past its maximum age or idle timeout is deleted.
func (ss *sessions) lookup(r *http.Request, cookie string, touch bool) *session {
	id, now, ctx := hashKey(cookie), ss.cfg.Now(), r.Context()
	ss.mu.Lock()
	s := ss.cache[id]
	ss.mu.Unlock()
	if s == nil {
		cs, err := ss.st.GetConsoleSession(ctx, id)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				ss.log.Error("console: session not read", "err", err)
			}
			return nil
		}
		s = ss.fromRow(cs, now)
		ss.remember(s)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Read the row again when memory is old, or before calling the session idle (another
	// hub may have seen the user since).
	idle := now.Sub(s.lastUsed) > ss.cfg.IdleTimeout
	if now.Sub(s.checked) >= Recheck || idle {
		cs, err := ss.st.GetConsoleSession(ctx, id)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				ss.forget(id) // signed out or revoked, here or elsewhere
			} else {
				ss.log.Error("console: session not read", "err", err)
			}
			return nil
		}
		s.checked = now
		if cs.LastUsedAt.After(s.lastUsed) {
			s.lastUsed = cs.LastUsedAt
		}
		if cs.LastUsedAt.After(s.written) {
			s.written = cs.LastUsedAt
		}
		idle = now.Sub(s.lastUsed) > ss.cfg.IdleTimeout
	}
	if idle || !now.Before(s.expiresAt) {
		ss.forget(id)
		if err := ss.st.DeleteConsoleSession(ctx, id); err != nil {
			ss.log.Warn("console: expired session not deleted", "err", err)
		}
		return nil
	}
	if touch {
		s.lastUsed = now
		if now.Sub(s.written) >= ss.touchEvery() {
			if err := ss.st.TouchConsoleSession(ctx, id, now); err != nil && !errors.Is(err, store.ErrNotFound) {
				ss.log.Warn("console: session use not stored", "err", err)
			}
			s.written = now
		}
	}
	return s
}

// access returns the session's access token, minting a new one when it is about to
// expire. A refusal (the user is gone, disabled, or changed since the sign-in) ends the
// session.
func (ss *sessions) access(r *http.Request, s *session) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss.cfg.Now().Add(refreshBefore).Before(s.accessExp) {
		return s.access, nil
	}
	pair, err := ss.loginOf().ConsoleAccess(r, s.userID, s.createdAt)
	if err != nil {
		if derr := ss.end(r.Context(), s); derr != nil {
			ss.log.Warn("console: refused session not deleted", "err", derr)
		}
		return "", err
	}
	s.access, s.accessExp = pair.AccessToken, pair.ExpiresAt
	return s.access, nil
}

// end deletes the session, here and in the database (sign-out).
func (ss *sessions) end(ctx context.Context, s *session) error {
	ss.forget(s.id)
	return ss.st.DeleteConsoleSession(ctx, s.id)
}

// Sessions is the number of sessions this hub holds in memory (tests).
func (ss *sessions) Sessions() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.cache)
}

// hashKey is a session's id: the SHA-256 of its cookie, all the database ever sees.
func hashKey(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}

// csrfToken is the session's CSRF token, derived from the cookie so no hub stores it: only
// the cookie's holder can compute it, and the page reads it from GET /ui/session (a
// cross-site page can neither read that answer nor the cookie).
func csrfToken(cookie string) string {
	h := sha256.Sum256([]byte("mcp-gateway console csrf\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("console: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
