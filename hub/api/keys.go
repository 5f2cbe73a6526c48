package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// APIKey is a key as the API shows it: never the hash, the plaintext only once at creation.
type APIKey struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Prefix string `json:"prefix"`
	UserID string `json:"user_id"`
	// Application is what the key is for (e.g. "cursor"); empty for a personal key.
	Application string `json:"application,omitempty"`
	// Scope is what the key may be used for: "mcp" (MCP calls only), "admin" (this REST
	// API only) or "all" (both).
	Scope string `json:"scope"`
	// Role is the role the key acts with instead of its user's; empty: the user's role.
	Role string `json:"role,omitempty"`
	// Surface is what the key's client sees of the catalog: "full", "discovery", or empty
	// (its application's, else the endpoint's): docs/DISCOVERY.md.
	Surface string `json:"surface,omitempty"`
	// Groups, if set, limits the key to these tool groups' endpoints (/mcp/<group>).
	Groups     []string   `json:"groups,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// Key is the plaintext, present only in the response that created it.
	Key string `json:"key,omitempty"`
}

func keyView(k *store.APIKey) APIKey {
	return APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, UserID: k.UserID, Application: k.Application, Scope: k.Scope, Role: k.Role, Surface: k.Surface, Groups: k.Groups, CreatedAt: k.CreatedAt,
		ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// CreateKeyRequest is the body of POST /api-keys.
type CreateKeyRequest struct {
	Name string `json:"name"`
	// UserID is whose key it is; empty means the caller's own. Another user's needs keys.write.all.
	UserID string `json:"user_id,omitempty"`
	// Application names what the key is for; policies match it with "applications".
	Application string `json:"application,omitempty"`
	// Scope is what the key may be used for: "mcp" (MCP calls only; the default), "admin"
	// (this REST API only) or "all" (both).
	Scope string `json:"scope,omitempty"`
	// Role, if set, is the role the key acts with instead of its user's: one the user's role
	// covers, and the caller's too. The key is refused while its user's role does not cover
	// it (a user demoted later). Empty: the user's own role, whatever it is at each request.
	Role string `json:"role,omitempty"`
	// Surface is what the key's client sees of the catalog: "full" (every tool), "discovery"
	// (tools that search, describe and call them) or empty (its application's, else the
	// endpoint's): docs/DISCOVERY.md.
	Surface string `json:"surface,omitempty"`
	// Groups, if set, limits the key to these tool groups (docs/GROUPS.md): it reaches only
	// /mcp/<group> for each, neither /mcp nor /sse nor any other group. Each must exist.
	Groups []string `json:"groups,omitempty"`
	// ExpiresIn is a Go duration ("720h"); ExpiresAt an RFC 3339 time. At most one; neither = never.
	ExpiresIn string     `json:"expires_in,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// UpdateKeyRequest is the body of PATCH /api-keys/{id}: the settings of a key that may
// change after it is made.
type UpdateKeyRequest struct {
	// Surface: "full", "discovery" or "" (its application's, else the endpoint's). A session
	// that is open keeps the surface it started with.
	Surface *string `json:"surface"`
}

func (a *API) keyRoutes() []route {
	return []route{
		{Method: "GET", Path: "/api-keys", Perm: rbac.KeysReadOwn, Tag: "api-keys",
			Summary: "List your keys, or another user's with ?user= (keys.read.all)",
			Query:   []param{{"user", "user id whose keys to list (keys.read.all unless it is you); \"*\" lists every user's"}},
			Result:  List[APIKey]{}, handle: a.listKeys},
		{Method: "POST", Path: "/api-keys", Perm: rbac.KeysWriteOwn, Tag: "api-keys",
			Summary: "Create a key; the plaintext is in this response only",
			Body:    CreateKeyRequest{}, Result: APIKey{}, Status: http.StatusCreated, handle: a.createKey},
		{Method: "PATCH", Path: "/api-keys/{id}", Perm: rbac.KeysWriteOwn, Tag: "api-keys",
			Summary: "Change a key's surface (docs/DISCOVERY.md)",
			Body:    UpdateKeyRequest{}, Result: APIKey{}, handle: a.updateKey},
		{Method: "DELETE", Path: "/api-keys/{id}", Perm: rbac.KeysWriteOwn, Tag: "api-keys",
			Summary: "Revoke a key; it is refused from the next request on", Status: http.StatusNoContent, handle: a.revokeKey},
	}
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request, c *Caller) error {
	user := r.URL.Query().Get("user")
	if user == "" {
		user = c.UserID
	}
	if user != c.UserID && !c.Can(rbac.KeysReadAll) {
		return forbidden(rbac.KeysReadAll)
	}
	var ks []store.APIKey
	var err error
	if user == "*" {
		ks, err = a.d.Store.ListKeys(r.Context())
	} else {
		ks, err = a.d.Store.ListUserKeys(r.Context(), user)
	}
	if err != nil {
		return err
	}
	out := List[APIKey]{Items: []APIKey{}}
	for i := range ks {
		if ks[i].Kind == store.KindUser {
			out.Items = append(out.Items, keyView(&ks[i]))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req CreateKeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.UserID == "" {
		req.UserID = c.UserID
	}
	if c.Application != "" && (req.Application != c.Application || req.UserID != c.UserID) {
		// Policies match the application: a key made for one must not mint a key that is
		// not bound to it (or one of another user, with no application check at all).
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: "this key is for application " + c.Application + ": it can only create your keys for that application"}
	}
	if req.UserID != c.UserID {
		if !c.Can(rbac.KeysWriteAll) {
			return forbidden(rbac.KeysWriteAll)
		}
		// A key speaks for its user: minting one for a user whose role the caller's does
		// not cover would be taking over that user.
		if err := a.coverUser(r.Context(), c, req.UserID); err != nil {
			return err
		}
	}
	if err := checkName("name", req.Name, 64); err != nil {
		return err
	}
	if req.Application != "" {
		if err := auth.ValidApplication(req.Application); err != nil {
			return invalid("application: %s", err.Error())
		}
	}
	if req.Scope == "" {
		req.Scope = store.ScopeMCP
	}
	if err := auth.ValidScope(req.Scope); err != nil {
		return invalid("scope: %s", err.Error())
	}
	if !store.ValidSurface(req.Surface) {
		return invalid("surface: %q is neither %q nor %q", req.Surface, store.SurfaceFull, store.SurfaceDiscovery)
	}
	if err := a.checkKeyRole(r.Context(), c, req.UserID, req.Role); err != nil {
		return err
	}
	exp, err := a.expiry(req.ExpiresIn, req.ExpiresAt)
	if err != nil {
		return err
	}
	if err := a.checkKeyGroups(r.Context(), req.Groups); err != nil {
		return err
	}
	k, plain, err := auth.CreateUserKey(r.Context(), a.d.Store, req.UserID,
		auth.KeyOptions{Name: req.Name, Application: req.Application, Scope: req.Scope, Role: req.Role, Surface: req.Surface, Groups: req.Groups, ExpiresAt: exp})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("user %q does not exist", req.UserID)
	}
	if err != nil {
		return err
	}
	a.refreshKeys(r.Context())
	a.record(r, c, "keys.create", k.ID, map[string]string{"user": k.UserID, "name": k.Name, "scope": k.Scope, "role": k.Role, "surface": k.Surface, "groups": strings.Join(k.Groups, ",")})
	v := keyView(k)
	v.Key = plain
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// checkKeyRole refuses a key whose role would be above its user's or the caller's: the role
// a key acts with (its own, else the user's) must be covered by both. A caller whose own key
// has a narrower role therefore cannot mint a key with the user's full role.
func (a *API) checkKeyRole(ctx context.Context, c *Caller, userID, role string) error {
	u, err := a.d.Store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("user %q does not exist", userID)
	}
	if err != nil {
		return err
	}
	acts := u.Role
	if role != "" {
		if _, ok := a.d.Authz.Role(role); !ok {
			return invalid("role: %q does not exist", role)
		}
		if !a.d.Authz.Covers(u.Role, role) {
			return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
				Message: fmt.Sprintf("role %q is above this user's role %q: a key's role must be one its user's role covers", role, u.Role)}
		}
		acts = role
	}
	if !a.d.Authz.Covers(c.Role, acts) {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: fmt.Sprintf("you act with role %q, which does not cover role %q that this key would act with; give a role yours covers", c.Role, acts)}
	}
	return nil
}

func (a *API) expiry(in string, at *time.Time) (*time.Time, error) {
	now := a.d.Now()
	switch {
	case in != "" && at != nil:
		return nil, invalid("give expires_in or expires_at, not both")
	case at != nil:
		if !at.After(now) {
			return nil, invalid("expires_at %s is in the past", at.UTC().Format(time.RFC3339))
		}
		t := at.UTC()
		return &t, nil
	case in != "":
		d, err := time.ParseDuration(in)
		if err != nil || d <= 0 {
			return nil, invalid("expires_in %q: want a positive duration such as \"720h\"", in)
		}
		t := now.Add(d).UTC()
		return &t, nil
	}
	return nil, nil
}

// writableKey returns the user key id names if the caller may change it: its own, or
// another user's with keys.write.all over a user its role covers.
func (a *API) writableKey(r *http.Request, c *Caller, id string) (*store.APIKey, error) {
	k, err := a.d.Store.GetKey(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || err == nil && k.Kind != store.KindUser {
		return nil, notFound("API key %q does not exist", id)
	}
	if err != nil {
		return nil, err
	}
	if k.UserID != c.UserID {
		// Someone else's key: its existence is only confirmed to whoever may read it.
		if !c.Can(rbac.KeysReadAll) {
			return nil, notFound("API key %q does not exist", id)
		}
		if !c.Can(rbac.KeysWriteAll) {
			return nil, forbidden(rbac.KeysWriteAll)
		}
		if err := a.coverUser(r.Context(), c, k.UserID); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (a *API) updateKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req UpdateKeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Surface == nil {
		return invalid("nothing to change: give surface")
	}
	if !store.ValidSurface(*req.Surface) {
		return invalid("surface: %q is neither %q nor %q (nor empty)", *req.Surface, store.SurfaceFull, store.SurfaceDiscovery)
	}
	k, err := a.writableKey(r, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := a.d.Store.SetKeySurface(r.Context(), k.ID, *req.Surface); err != nil {
		return err
	}
	a.refreshKeys(r.Context())
	a.record(r, c, "keys.update", k.ID, map[string]string{"user": k.UserID, "surface": *req.Surface})
	k.Surface = *req.Surface
	writeJSON(w, http.StatusOK, keyView(k))
	return nil
}

func (a *API) revokeKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id := r.PathValue("id")
	k, err := a.writableKey(r, c, id)
	if err != nil {
		return err
	}
	if err := a.d.Store.RevokeKey(r.Context(), id); err != nil {
		return err
	}
	a.refreshKeys(r.Context())
	a.record(r, c, "keys.revoke", id, map[string]string{"user": k.UserID})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// refreshKeys makes a key, user or agent write effective in this hub at once. A failure is
// logged: the write is durable and the periodic refresh will pick it up.
func (a *API) refreshKeys(ctx context.Context) {
	if err := a.d.Keys.Invalidate(context.WithoutCancel(ctx)); err != nil {
		a.log.Warn("api: key cache refresh after a write failed", "err", err)
	}
}
