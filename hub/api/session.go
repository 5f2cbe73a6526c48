package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Sessions is password login and JWTs (*auth.Authenticator).
type Sessions interface {
	Login(ctx context.Context, name, password, from string) (auth.TokenPair, error)
	Refresh(ctx context.Context, refreshToken string) (auth.TokenPair, error)
	VerifyAccess(token string) (auth.Identity, error)
	SessionAccess(ctx context.Context, userID string, signedIn time.Time) (auth.TokenPair, error)
	ChangePassword(ctx context.Context, userID, current, next, from string) error
	SetPassword(ctx context.Context, userID, next string) error
}

// LoginRequest is the body of POST /auth/login.
type LoginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// RefreshRequest is the body of POST /auth/refresh.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// ChangePasswordRequest is the body of POST /auth/password.
type ChangePasswordRequest struct {
	Current string `json:"current"` // "" for a user who has no password yet
	New     string `json:"new"`
}

// Me is the answer to GET /auth/me.
type Me struct {
	User
	KeyID       string   `json:"key_id,omitempty"`
	Application string   `json:"application,omitempty"`
	Permissions []string `json:"permissions"`
}

func (a *API) sessionRoutes() []route {
	return []route{
		{Method: "POST", Path: "/auth/login", Public: true, Tag: "auth", Summary: "Log in with a user name and password",
			Body: LoginRequest{}, Result: auth.TokenPair{}, handle: a.login},
		{Method: "POST", Path: "/auth/refresh", Public: true, Tag: "auth", Summary: "Exchange a refresh token for new tokens",
			Body: RefreshRequest{}, Result: auth.TokenPair{}, handle: a.refresh},
		{Method: "POST", Path: "/auth/password", Tag: "auth", Summary: "Change your own password (needs the current one)",
			Body: ChangePasswordRequest{}, Status: http.StatusNoContent, handle: a.changePassword},
		{Method: "GET", Path: "/auth/me", Tag: "auth", Summary: "Who the credential speaks for, and its permissions",
			Result: Me{}, handle: a.me},
	}
}

// authenticateToken verifies a JWT access token.
func (a *API) authenticateToken(tok string) (*Caller, *Error) {
	if a.d.Sessions == nil {
		return nil, errorf(http.StatusUnauthorized, CodeUnauthorized, "bearer token is not an API key, and this hub has no token login")
	}
	id, err := a.d.Sessions.VerifyAccess(tok)
	switch {
	case errors.Is(err, auth.ErrTokenExpired):
		return nil, errorf(http.StatusUnauthorized, CodeUnauthorized, "access token expired; POST /auth/refresh for a new one")
	case errors.Is(err, auth.ErrUserDisabled):
		return nil, errorf(http.StatusUnauthorized, CodeUnauthorized, "user is disabled")
	case err != nil:
		return nil, errorf(http.StatusUnauthorized, CodeUnauthorized, "bearer token is not a valid API key or access token")
	}
	return &Caller{UserID: id.UserID, Name: id.Name, Role: id.Role, TokenID: id.TokenID, authz: a.d.Authz}, nil
}

// sessionError maps login and password errors to responses.
func sessionError(err error) error {
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		return errorf(http.StatusLocked, CodeLocked, "%s", locked.Error())
	case errors.Is(err, auth.ErrInvalidCredentials):
		return errorf(http.StatusUnauthorized, CodeUnauthorized, "invalid user name or password")
	case errors.Is(err, auth.ErrUserDisabled):
		return errorf(http.StatusForbidden, CodeForbidden, "user is disabled")
	case errors.Is(err, auth.ErrWrongPassword):
		return errorf(http.StatusForbidden, "wrong_password", "current password is wrong")
	case errors.Is(err, auth.ErrInvalidToken):
		return errorf(http.StatusUnauthorized, CodeUnauthorized, "%s", err.Error())
	}
	return err
}

func (a *API) login(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	var req LoginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	pair, err := a.PasswordLogin(r, req.Name, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pair)
	return nil
}

// PasswordLogin is POST /auth/login's check of a name and password: lockouts counted by
// the request's client address, the attempt audited, errors as *Error. The web console
// signs in through it.
func (a *API) PasswordLogin(r *http.Request, name, password string) (auth.TokenPair, error) {
	if a.d.Sessions == nil {
		return auth.TokenPair{}, unavailable("password logins")
	}
	if name == "" || password == "" {
		return auth.TokenPair{}, invalid("name and password are required")
	}
	pair, err := a.d.Sessions.Login(r.Context(), name, password, auth.ClientFrom(r, a.d.TrustedProxies))
	a.recordLogin(r, name, err)
	if err != nil {
		return auth.TokenPair{}, sessionError(err)
	}
	return pair, nil
}

// RefreshTokens is POST /auth/refresh's exchange: a reused refresh token is audited and
// ends every session of its user.
func (a *API) RefreshTokens(r *http.Request, refreshToken string) (auth.TokenPair, error) {
	if a.d.Sessions == nil {
		return auth.TokenPair{}, unavailable("password logins")
	}
	if refreshToken == "" {
		return auth.TokenPair{}, invalid("refresh_token is required")
	}
	pair, err := a.d.Sessions.Refresh(r.Context(), refreshToken)
	var reused *auth.ReusedError
	if errors.As(err, &reused) {
		a.recordReuse(r, reused)
	}
	if err != nil {
		return auth.TokenPair{}, sessionError(err)
	}
	return pair, nil
}

// ConsoleSignIn is the web console's sign-in: PasswordLogin (lockouts, audit), and the
// user's id and the time the session's tokens are dated from, which ConsoleAccess checks
// the user's later changes against. The login's own token pair is not kept.
func (a *API) ConsoleSignIn(r *http.Request, name, password string) (string, time.Time, error) {
	pair, err := a.PasswordLogin(r, name, password)
	if err != nil {
		return "", time.Time{}, err
	}
	u, err := a.d.Store.GetUserByName(r.Context(), name)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("console sign-in of %q: %w", name, err)
	}
	return u.ID, pair.ExpiresAt.Add(-auth.AccessTTL), nil
}

// ConsoleAccess is a console session's access token (auth.Authenticator.SessionAccess),
// with errors as *Error.
func (a *API) ConsoleAccess(r *http.Request, userID string, signedIn time.Time) (auth.TokenPair, error) {
	if a.d.Sessions == nil {
		return auth.TokenPair{}, unavailable("password logins")
	}
	pair, err := a.d.Sessions.SessionAccess(r.Context(), userID, signedIn)
	if err != nil {
		return auth.TokenPair{}, sessionError(err)
	}
	return pair, nil
}

// recordLogin audits a login attempt (never the password).
func (a *API) recordLogin(r *http.Request, name string, err error) {
	if a.d.Audit == nil {
		return
	}
	now := a.d.Now()
	ev := &store.AuditEvent{ID: audit.NewID(now), Time: now, Kind: store.AuditLogin, Caller: name, Status: "ok",
		Action: "auth.login", Target: name, TraceID: audit.TraceID(r.Header.Get("Traceparent"))}
	if u, uerr := a.d.Store.GetUserByName(r.Context(), name); uerr == nil {
		ev.UserID = u.ID
	}
	if err != nil {
		ev.Status, ev.Error = "error", err.Error()
	}
	if rerr := a.d.Audit.Record(ev); rerr != nil {
		a.log.Error("api: login not recorded in the audit trail", "user", name, "err", rerr)
	}
}

// recordReuse audits a refresh token used twice: a stolen token, and every session of its
// user ended.
func (a *API) recordReuse(r *http.Request, e *auth.ReusedError) {
	if a.d.Audit == nil {
		return
	}
	now := a.d.Now()
	ev := &store.AuditEvent{ID: audit.NewID(now), Time: now, Kind: store.AuditLogin, UserID: e.UserID,
		Status: "denied", Decision: "deny", Action: "auth.refresh", Target: e.UserID, Error: e.Error(),
		TraceID: audit.TraceID(r.Header.Get("Traceparent"))}
	if u, err := a.d.Store.GetUser(r.Context(), e.UserID); err == nil {
		ev.Caller = u.Name
	}
	if err := a.d.Audit.Record(ev); err != nil {
		a.log.Error("api: refresh token reuse not recorded in the audit trail", "user", e.UserID, "err", err)
	}
}

func (a *API) refresh(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	var req RefreshRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	pair, err := a.RefreshTokens(r, req.RefreshToken)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pair)
	return nil
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Sessions == nil {
		return unavailable("password logins")
	}
	if c.Application != "" {
		// A password login gives a token with no application, past the policies on it.
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: "this key is for application " + c.Application + ": use a personal key or an access token to change the password"}
	}
	if c.UserRole != "" {
		// A password login gives a token with the user's own role, above the key's.
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: "this key acts with role " + c.Role + ", below your role " + c.UserRole + ": use a key without a role of its own or an access token to change the password"}
	}
	var req ChangePasswordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := auth.CheckPassword(req.New); err != nil {
		return invalid("new: %s", err.Error())
	}
	if err := a.d.Sessions.ChangePassword(r.Context(), c.UserID, req.Current, req.New, auth.ClientFrom(r, a.d.TrustedProxies)); err != nil {
		return sessionError(err)
	}
	a.refreshKeys(r.Context())
	a.record(r, c, "auth.password", c.UserID, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request, c *Caller) error {
	u, err := a.d.Store.GetUser(r.Context(), c.UserID)
	if err != nil {
		return err
	}
	m := Me{User: userView(u), KeyID: c.KeyID, Application: c.Application, Permissions: []string{}}
	for _, p := range rbac.Permissions() {
		if c.Can(p) {
			m.Permissions = append(m.Permissions, p)
		}
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}
