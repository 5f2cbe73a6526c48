package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/upstream"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// KeyCache resolves API keys (*auth.Cache).
type KeyCache interface {
	Lookup(plaintext string) (auth.Identity, bool)
	// Invalidate reloads keys and users at once, so a revoked key or a disabled user is
	// refused by the next request.
	Invalidate(ctx context.Context) error
}

// Authorizer is RBAC (*rbac.Authorizer): permissions, roles, and the escalation checks.
type Authorizer interface {
	Can(role, perm string) bool
	// ToolAllowed applies the role's tool globs to a tool's names (exposed, alias, original).
	ToolAllowed(role string, names ...string) bool
	Role(name string) (rbac.Role, bool)
	Roles() []rbac.Role
	CreateRole(ctx context.Context, r *store.Role) error
	UpdateRole(ctx context.Context, r *store.Role) error
	DeleteRole(ctx context.Context, name string) error
	// Covers reports whether role holds everything target does (no escalation).
	Covers(role, target string) bool
	CoversPermissions(role string, r *store.Role) bool
}

// AgentSessions are the connected agents (*agents.Registry).
type AgentSessions interface {
	List() []agents.AgentInfo
	Refuse(agentID string, ref protocol.Refusal) bool
}

// BackendHealth reports every backend the hub routes to (*router.Router).
type BackendHealth interface {
	Table() *router.Table
}

// CallBounds reports a backend's call bounds state: breaker, calls running and waiting
// (*upstream.Upstream). False: no call reached the backend yet.
type CallBounds interface {
	Status(agent, backend string) (upstream.Status, bool)
}

// LocalBackends starts and stops hub-local backends at runtime (*backend.Set, through the
// server, which also refreshes the routing table).
type LocalBackends interface {
	Add(ctx context.Context, cfg backend.Config) error
	Remove(name string) error
}

// ConsoleSessions are the web console's browser sessions (*console.Console).
type ConsoleSessions interface {
	// AccessToken returns the access token of the request's console session; has is false
	// when the request carries no console cookie. A write without the session's CSRF token
	// fails with CSRFError(); a stale session with another error.
	AccessToken(r *http.Request) (token string, has bool, err error)
	CSRFError() error
}

// Caller is the authenticated principal of a request.
type Caller struct {
	UserID string
	Name   string
	Role   string
	// UserRole is the user's own role when the caller's key acts with a narrower role of its
	// own (Role); "" otherwise.
	UserRole    string
	KeyID       string // empty for a JWT
	TokenID     string // a JWT's jti; empty for a key
	Application string
	authz       Authorizer
}

// Can reports whether the caller's role holds perm.
func (c *Caller) Can(perm string) bool { return c.authz.Can(c.Role, perm) }

// Actor names the caller in audit events and approvals.
func (c *Caller) Actor() string { return c.Name }

// Credential names what the caller authenticated with, for the audit row's key id: the API
// key's id, or "jwt:" and the access token's jti.
func (c *Caller) Credential() string {
	if c.KeyID == "" && c.TokenID != "" {
		return "jwt:" + c.TokenID
	}
	return c.KeyID
}

// authenticate resolves the bearer credential: an auth.KeyPrefix (mcpgw_) user key (agent keys are refused)
// or a JWT access token.
func (a *API) authenticate(r *http.Request) (*Caller, *Error) {
	tok, ok := auth.BearerToken(r)
	if !ok && a.d.Console != nil {
		// A web console session: its cookie (and, for a write, its CSRF header) stand for
		// the session's access token, which is then checked like any other.
		ctok, has, err := a.d.Console.AccessToken(r)
		switch {
		case has && errors.Is(err, a.d.Console.CSRFError()):
			return nil, &Error{Status: http.StatusForbidden, Code: CodeCSRF, Message: err.Error()}
		case has && err != nil:
			return nil, errorf(http.StatusUnauthorized, CodeUnauthorized, "%s", err.Error())
		case has:
			return a.authenticateToken(ctok)
		}
	}
	if !ok {
		return nil, errorf(http.StatusUnauthorized, CodeUnauthorized,
			"missing credentials: send Authorization: Bearer <API key or access token>")
	}
	if !strings.HasPrefix(tok, auth.KeyPrefix) {
		return a.authenticateToken(tok)
	}
	id, ok := a.d.Keys.Lookup(tok)
	if !ok {
		return nil, errorf(http.StatusUnauthorized, CodeUnauthorized, "API key is unknown, revoked or expired")
	}
	if id.Kind != "user" {
		return nil, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: "agent keys only open agent tunnels; use a user key or token for the REST API"}
	}
	if !id.AllowsAdmin() {
		a.recordScopeDenied(r, id)
		return nil, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: "this API key has scope \"" + id.Scope + "\": it makes MCP calls only and cannot use the REST API; use a key of scope \"admin\" or \"all\" (keys create --scope admin)"}
	}
	c := &Caller{UserID: id.UserID, Name: id.Name, Role: id.Role, KeyID: id.KeyID, Application: id.Application, authz: a.d.Authz}
	if id.UserRole != id.Role {
		c.UserRole = id.UserRole
	}
	return c, nil
}
