// Package console is the hub's web console at /ui: static ES modules and CSS embedded in
// the binary (no build step), and the browser's sign-in. A signed-in browser holds only an
// opaque session cookie (HttpOnly, SameSite=Strict, Secure behind https); the database holds
// its SHA-256 only, so sessions outlive a hub and work on every hub (sessions.go). The REST
// API takes the cookie with the session's CSRF token in the X-CSRF-Token header as the
// caller's identity (AccessToken): a short-lived access token the hub mints for the session,
// so every page goes through /api/v1 and its RBAC like any other client. docs/CONSOLE.md.
package console

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
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

// DefaultIdleTimeout ends a session nobody used for this long (ui.idle_timeout); DefaultMaxAge
// ends any session this long after its sign-in (ui.max_age).
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultMaxAge      = 12 * time.Hour
)

// Login is the REST API's password login, and the access tokens of console sessions
// (*api.API): the same checks, lockouts and audit rows as POST /api/v1/auth/login.
type Login interface {
	// ConsoleSignIn checks a name and password like POST /auth/login and returns the user's
	// id and the session's start (the time its tokens are dated).
	ConsoleSignIn(r *http.Request, name, password string) (userID string, signedIn time.Time, err error)
	// ConsoleAccess issues an access token for a session of userID that began at signedIn;
	// an error when the user is gone, disabled, or changed since (new password or role).
	ConsoleAccess(r *http.Request, userID string, signedIn time.Time) (auth.TokenPair, error)
}

// Store keeps the sessions, shared by every hub on the database (store.ConsoleSessions).
type Store interface {
	CreateConsoleSession(ctx context.Context, cs store.ConsoleSession) error
	GetConsoleSession(ctx context.Context, id string) (*store.ConsoleSession, error)
	TouchConsoleSession(ctx context.Context, id string, at time.Time) error
	DeleteConsoleSession(ctx context.Context, id string) error
	DeleteStaleConsoleSessions(ctx context.Context, now, idleSince time.Time) (int64, error)
}

// Config is the console's part of hub.toml.
type Config struct {
	// IdleTimeout ends a session without user activity for this long; 0: DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxAge ends a session this long after its sign-in; 0: DefaultMaxAge.
	MaxAge time.Duration
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
	*sessions
}

// New returns a console keeping its sessions in st; SetLogin must be called before it
// serves a sign-in.
func New(cfg Config, st Store, log *slog.Logger) *Console {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BasePath = strings.TrimRight(cfg.BasePath, "/")
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Console{cfg: cfg, log: log, files: loadFiles(), sessions: newSessions(cfg, st, log)}
}

// Errors of AccessToken.
var (
	// ErrNoSession: the cookie names no live session (never signed in, signed out, idle
	// too long, past its maximum age, or the user changed): 401.
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
	s := c.lookup(r, ck.Value, r.Header.Get(BackgroundHeader) == "")
	if s == nil {
		return "", true, ErrNoSession
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !csrfOK(r, ck.Value) {
		return "", true, ErrCSRF
	}
	tok, err := c.access(r, s)
	if err != nil {
		return "", true, ErrNoSession
	}
	return tok, true, nil
}

// csrfOK reports whether r carries the CSRF token of the session cookie.
func csrfOK(r *http.Request, cookie string) bool {
	got := r.Header.Get(CSRFHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(cookie))) == 1
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
			s = c.lookup(r, ck.Value, r.Header.Get(BackgroundHeader) == "")
		}
		if s == nil {
			// 200, not 401: the sign-in page asks this first, and not being signed in is
			// its ordinary state.
			writeJSON(w, http.StatusOK, SessionInfo{})
			return
		}
		writeJSON(w, http.StatusOK, c.info(ck.Value))
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
	l := c.loginOf()
	if l == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "password sign-in is not available in this hub")
		return
	}
	userID, signedIn, err := l.ConsoleSignIn(r, req.Name, req.Password)
	if err == nil {
		var cookie string
		if cookie, err = c.start(r, userID, signedIn); err == nil {
			http.SetCookie(w, c.cookie(r, cookie, 0))
			writeJSON(w, http.StatusOK, c.info(cookie))
			return
		}
	}
	if !writeErr(w, err) {
		c.log.Error("console: sign-in failed", "user", req.Name, "err", err)
	}
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthorized", "not signed in")
		return
	}
	s := c.lookup(r, ck.Value, true)
	if s == nil {
		http.SetCookie(w, c.cookie(r, "", -1))
		writeError(w, http.StatusUnauthorized, "unauthorized", "not signed in")
		return
	}
	if !csrfOK(r, ck.Value) {
		writeError(w, http.StatusForbidden, "csrf", ErrCSRF.Error())
		return
	}
	if err := c.end(r.Context(), s); err != nil {
		c.log.Error("console: sign-out not stored; the session ends at its idle timeout", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "sign-out failed; see the hub's log")
		return
	}
	http.SetCookie(w, c.cookie(r, "", -1))
	w.WriteHeader(http.StatusNoContent)
}

// info is what GET and POST /ui/session answer for a signed-in cookie.
func (c *Console) info(cookie string) SessionInfo {
	return SessionInfo{SignedIn: true, CSRFToken: csrfToken(cookie), IdleTimeoutSeconds: int(c.cfg.IdleTimeout / time.Second)}
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
