package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"

	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
)

// BackendLogins runs the OAuth logins of hub-local backends (hub/server): the hub does
// discovery, registration and the code exchange, so a client secret never leaves it; the
// operator's CLI only brings the browser and the loopback callback.
type BackendLogins interface {
	// StartLogin begins a login of backend name whose authorization response goes to
	// redirectURI, and returns the URL to open.
	StartLogin(ctx context.Context, name, redirectURI string) (string, error)
	// FinishLogin exchanges the code of the authorization response and stores the tokens.
	FinishLogin(ctx context.Context, name string, r oauth.CallbackResult) error
}

// Errors of BackendLogins the API maps to statuses.
var (
	ErrNoLogin       = errors.New("no login in progress for this backend")
	ErrNotOAuth      = errors.New("backend does not use OAuth")
	ErrNoLoginNeeded = oauth.ErrNoLoginNeeded
)

// LoginStart begins a backend's OAuth login.
type LoginStart struct {
	// RedirectURI is the loopback callback of the operator's CLI (http://127.0.0.1:PORT/callback).
	RedirectURI string `json:"redirect_uri"`
}

// LoginStarted is the authorization URL the operator opens in a browser.
type LoginStarted struct {
	AuthorizationURL string `json:"authorization_url"`
}

func (a *API) backendLoginRoutes() []route {
	return []route{
		{Method: "POST", Path: "/backends/{name}/login", Perm: rbac.BackendsWrite, Tag: "backends",
			Summary: "Begin the OAuth login of a hub-local backend that needs one (returns the URL to open)",
			Body:    LoginStart{}, Result: LoginStarted{}, handle: a.startLogin},
		{Method: "POST", Path: "/backends/{name}/login/callback", Perm: rbac.BackendsWrite, Tag: "backends",
			Summary: "Finish a backend's OAuth login with the authorization response its callback received",
			Body:    oauth.CallbackResult{}, Status: http.StatusNoContent, handle: a.finishLogin},
	}
}

func (a *API) startLogin(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Logins == nil {
		return unavailable("backend logins")
	}
	var body LoginStart
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if !loopbackURI(body.RedirectURI) {
		return invalid("redirect_uri %q: want a loopback http URI such as http://127.0.0.1:PORT/callback", body.RedirectURI)
	}
	name := r.PathValue("name")
	u, err := a.d.Logins.StartLogin(r.Context(), name, body.RedirectURI)
	if err != nil {
		return loginError(name, err)
	}
	a.record(r, c, "backends.login.start", name, nil)
	writeJSON(w, http.StatusOK, LoginStarted{AuthorizationURL: u})
	return nil
}

func (a *API) finishLogin(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Logins == nil {
		return unavailable("backend logins")
	}
	var body oauth.CallbackResult
	if err := decode(w, r, &body); err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := a.d.Logins.FinishLogin(r.Context(), name, body); err != nil {
		return loginError(name, err)
	}
	a.record(r, c, "backends.login", name, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func loginError(name string, err error) error {
	switch {
	case errors.Is(err, backend.ErrUnknownBackend):
		return notFound("no hub-local backend %q", name)
	case errors.Is(err, ErrNotOAuth), errors.Is(err, ErrNoLoginNeeded), errors.Is(err, ErrNoLogin):
		return conflict("backend %q: %s", name, err.Error())
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	// Discovery, registration or the exchange failed: the operator needs the reason.
	return errorf(http.StatusBadGateway, CodeUnavailable, "backend %q: login failed: %s", name, secrets.Text(err.Error()))
}

// loopbackURI accepts only an http redirect URI on the loopback interface (RFC 8252 7.3).
func loopbackURI(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}
