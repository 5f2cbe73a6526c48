// Package console is the hub's web console at /ui: static ES modules and CSS embedded in
// the binary (no build step), and the browser's sign-in. A signed-in browser holds only an
// opaque session cookie (HttpOnly, SameSite=Strict, Secure behind https); the session's JWT
// pair, from the REST API's own password login, stays in the hub. The REST API takes the
// cookie with the session's CSRF token in the X-CSRF-Token header as the caller's identity
// (AccessToken), so every page goes through /api/v1 and its RBAC like any other client.
// docs/CONSOLE.md.
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
)

// Prefix is where the console is mounted.
const Prefix = "/ui"

// CookieName is the session cookie; CSRFHeader carries the session's CSRF token on every
// request that is not GET or HEAD; BackgroundHeader marks a request the page made by itself
// (a poll), which does not count as activity for the idle timeout.
const (
	CookieName       = "mcpgw_console"
	CSRFHeader       = "X-CSRF-Token"
	BackgroundHeader = "X-Console-Background"
)

// DefaultIdleTimeout ends a session nobody used for this long (ui.idle_timeout).
const DefaultIdleTimeout = 30 * time.Minute

// maxSessions bounds the sessions held in memory; past it the oldest-used one is dropped.
const maxSessions = 10000

// refreshBefore is how long before its access token expires a session exchanges its
// refresh token for a new pair.
const refreshBefore = time.Minute

// Login is the REST API's password login and token refresh: the same checks, lockouts and
// audit rows as POST /api/v1/auth/login (*api.API).
type Login interface {
	PasswordLogin(r *http.Request, name, password string) (auth.TokenPair, error)
	RefreshTokens(r *http.Request, refreshToken string) (auth.TokenPair, error)
}

// Config is the console's part of hub.toml.
type Config struct {
	// IdleTimeout ends a session without user activity for this long; 0: DefaultIdleTimeout.
	IdleTimeout time.Duration
	// BasePath is the path of public_url ("/gateway"), the prefix a reverse proxy serves the
	// hub under; the cookie is scoped to it. "": the hub is at the root.
	BasePath string
	// SecureCookie sets Secure on the cookie always (public_url is https). Otherwise it is
	// set when the request came over TLS, or with X-Forwarded-Proto https when TrustForwardedProto.
	SecureCookie        bool
	TrustForwardedProto bool
	Now                 func() time.Time
}

// Console serves /ui and holds the browser sessions.
type Console struct {
	cfg   Config
	log   *slog.Logger
	files *files

	mu       sync.Mutex
	login    Login
	sessions map[string]*session // by the SHA-256 of the cookie value
}

type session struct {
	mu       sync.Mutex // serialises the refresh of the token pair
	userID   string
	csrf     string
	pair     auth.TokenPair
	lastUsed time.Time // last request the user made (not a background poll)
}

// New returns a console; SetLogin must be called before it serves a sign-in.
func New(cfg Config, log *slog.Logger) *Console {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BasePath = strings.TrimRight(cfg.BasePath, "/")
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Console{cfg: cfg, log: log, files: loadFiles(), sessions: map[string]*session{}}
}

// SetLogin gives the console the REST API's login (built after the console, which the API
// needs for AccessToken).
func (c *Console) SetLogin(l Login) {
	c.mu.Lock()
	c.login = l
	c.mu.Unlock()
}

// Errors of AccessToken.
var (
	// ErrNoSession: the cookie names no live session (never signed in, signed out, idle
	// too long, or the user changed): 401.
	ErrNoSession = errors.New("console session expired or unknown; sign in again")
	// ErrCSRF: a write without the session's CSRF token: 403.
	ErrCSRF = errors.New("missing or wrong " + CSRFHeader + " header: a console session's writes must carry its CSRF token")
)

// CSRFError is ErrCSRF (api.ConsoleSessions).
func (c *Console) CSRFError() error { return ErrCSRF }

// AccessToken returns the access token of the request's console session. ok is false when
// the request has no console cookie (the API then wants a bearer credential). A request
// other than GET and HEAD must carry the session's token in CSRFHeader (ErrCSRF).
func (c *Console) AccessToken(r *http.Request) (token string, ok bool, err error) {
	ck, err := r.Cookie(CookieName)
	if err != nil || ck.Value == "" {
		return "", false, nil
	}
	s := c.lookup(ck.Value, r.Header.Get(BackgroundHeader) == "")
	if s == nil {
		return "", true, ErrNoSession
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		got := r.Header.Get(CSRFHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
			return "", true, ErrCSRF
		}
	}
	tok, err := c.fresh(r, ck.Value, s)
	if err != nil {
		return "", true, ErrNoSession
	}
	return tok, true, nil
}

// lookup finds a live session; touch counts the request as the user's activity.
func (c *Console) lookup(cookie string, touch bool) *session {
	key := hashKey(cookie)
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[key]
	if s == nil {
		return nil
	}
	if now.Sub(s.lastUsed) > c.cfg.IdleTimeout {
		delete(c.sessions, key)
		return nil
	}
	if touch {
		s.lastUsed = now
	}
	return s
}

// fresh returns the session's access token, exchanging the refresh token first when the
// access token is about to expire. A refused refresh (the user's password, role or
// disabled flag changed; the refresh token expired) ends the session.
func (c *Console) fresh(r *http.Request, cookie string, s *session) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.cfg.Now().Add(refreshBefore).Before(s.pair.ExpiresAt) {
		return s.pair.AccessToken, nil
	}
	c.mu.Lock()
	l := c.login
	c.mu.Unlock()
	pair, err := l.RefreshTokens(r, s.pair.RefreshToken)
	if err != nil {
		c.drop(cookie)
		return "", err
	}
	s.pair = pair
	return pair.AccessToken, nil
}

func (c *Console) drop(cookie string) {
	c.mu.Lock()
	delete(c.sessions, hashKey(cookie))
	c.mu.Unlock()
}

// start holds a new session for pair and returns its cookie value and CSRF token.
func (c *Console) start(userID string, pair auth.TokenPair) (cookie, csrf string) {
	cookie, csrf = randomToken(), randomToken()
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweepLocked(now)
	c.sessions[hashKey(cookie)] = &session{userID: userID, csrf: csrf, pair: pair, lastUsed: now}
	return cookie, csrf
}

// sweepLocked drops idle sessions, and the least recently used one when the table is full.
func (c *Console) sweepLocked(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, s := range c.sessions {
		if now.Sub(s.lastUsed) > c.cfg.IdleTimeout || now.After(s.pair.RefreshExpiresAt) {
			delete(c.sessions, k)
			continue
		}
		if oldestKey == "" || s.lastUsed.Before(oldest) {
			oldestKey, oldest = k, s.lastUsed
		}
	}
	if len(c.sessions) >= maxSessions && oldestKey != "" {
		delete(c.sessions, oldestKey)
	}
}

// Sessions is the number of sessions held (tests).
func (c *Console) Sessions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sessions)
}

func hashKey(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("console: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ServeHTTP serves Prefix and everything under it: the session endpoint and the files.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	switch {
	case rest == "":
		// Relative, so that it works under a proxy's path prefix (http.Redirect would make
		// it absolute).
		w.Header().Set("Location", "ui/")
		w.WriteHeader(http.StatusMovedPermanently)
	case rest == "/session":
		c.serveSession(w, r)
	default:
		c.files.serve(w, r, strings.TrimPrefix(rest, "/"))
	}
}

// CSP is the Content-Security-Policy of every /ui response: scripts, styles, images and
// requests from the hub itself only; no inline script or style, no frames, no plugins.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

// SessionInfo is the answer of GET and POST /ui/session.
type SessionInfo struct {
	SignedIn           bool   `json:"signed_in"`
	CSRFToken          string `json:"csrf_token,omitempty"`
	IdleTimeoutSeconds int    `json:"idle_timeout_seconds,omitempty"`
}

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (c *Console) serveSession(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		ck, err := r.Cookie(CookieName)
		var s *session
		if err == nil {
			s = c.lookup(ck.Value, r.Header.Get(BackgroundHeader) == "")
		}
		if s == nil {
			// 200, not 401: the sign-in page asks this first, and not being signed in is
			// its ordinary state.
			writeJSON(w, http.StatusOK, SessionInfo{})
			return
		}
		writeJSON(w, http.StatusOK, SessionInfo{SignedIn: true, CSRFToken: s.csrf, IdleTimeoutSeconds: int(c.cfg.IdleTimeout / time.Second)})
	case http.MethodPost:
		c.signIn(w, r)
	case http.MethodDelete:
		c.signOut(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path+"; allowed: GET, POST, DELETE")
	}
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	// JSON only: a cross-site form cannot send it without a CORS preflight, which the hub
	// never grants (login CSRF).
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send the sign-in as application/json")
		return
	}
	var req loginRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the body is not a JSON object with name and password: "+err.Error())
		return
	}
	if req.Name == "" || req.Password == "" {
		writeError(w, http.StatusBadRequest, "invalid", "name and password are required")
		return
	}
	c.mu.Lock()
	l := c.login
	c.mu.Unlock()
	if l == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "password sign-in is not available in this hub")
		return
	}
	pair, err := l.PasswordLogin(r, req.Name, req.Password)
	if err != nil {
		if !writeErr(w, err) {
			c.log.Error("console: sign-in failed", "user", req.Name, "err", err)
		}
		return
	}
	cookie, csrf := c.start(req.Name, pair)
	http.SetCookie(w, c.cookie(r, cookie, 0))
	writeJSON(w, http.StatusOK, SessionInfo{SignedIn: true, CSRFToken: csrf, IdleTimeoutSeconds: int(c.cfg.IdleTimeout / time.Second)})
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthorized", "not signed in")
		return
	}
	s := c.lookup(ck.Value, true)
	if s == nil {
		http.SetCookie(w, c.cookie(r, "", -1))
		writeError(w, http.StatusUnauthorized, "unauthorized", "not signed in")
		return
	}
	if got := r.Header.Get(CSRFHeader); got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
		writeError(w, http.StatusForbidden, "csrf", ErrCSRF.Error())
		return
	}
	c.drop(ck.Value)
	http.SetCookie(w, c.cookie(r, "", -1))
	w.WriteHeader(http.StatusNoContent)
}

// cookie is the session cookie: a browser-session cookie (no Max-Age: the idle timeout is
// kept by the hub) unless maxAge < 0 deletes it.
func (c *Console) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: value, Path: c.cfg.BasePath + "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.secure(r)}
}

func (c *Console) secure(r *http.Request) bool {
	return c.cfg.SecureCookie || r.TLS != nil ||
		(c.cfg.TrustForwardedProto && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// StatusError is an error with an HTTP status and code, as *api.Error is.
type StatusError interface {
	error
	HTTPStatus() (status int, code, message string)
}

// writeErr answers err; false when it was internal (the caller logs it).
func writeErr(w http.ResponseWriter, err error) bool {
	var se StatusError
	if errors.As(err, &se) {
		status, code, msg := se.HTTPStatus()
		writeError(w, status, code, msg)
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "request cancelled or timed out")
		return true
	}
	writeError(w, http.StatusInternalServerError, "internal", "internal error; see the hub's log")
	return false
}

// writeError answers in the REST API's error shape: {"error": {"code", "message"}}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]map[string]string{"error": {"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
