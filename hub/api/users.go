package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// User is a user as the API shows it (never a password hash).
type User struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	Disabled    bool       `json:"disabled"`
	HasPassword bool       `json:"has_password"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func userView(u *store.User) User {
	return User{ID: u.ID, Name: u.Name, Role: u.Role, Disabled: u.Disabled, HasPassword: u.PasswordHash != "",
		LockedUntil: u.LockedUntil, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// CreateUserRequest is the body of POST /users.
type CreateUserRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// Password, if given, allows password login (POST /auth/login); at least 12 characters.
	Password string `json:"password,omitempty"`
}

// UpdateUserRequest is the body of PATCH /users/{id}; absent fields are left as they are.
type UpdateUserRequest struct {
	Name     *string `json:"name,omitempty"`
	Role     *string `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// SetPasswordRequest is the body of POST /users/{id}/password.
type SetPasswordRequest struct {
	Password string `json:"password"`
}

// List is the envelope of every list response.
type List[T any] struct {
	Items []T `json:"items"`
	// Next is the cursor of the following page; empty on the last page.
	Next string `json:"next,omitempty"`
}

func (a *API) userRoutes() []route {
	return []route{
		{Method: "GET", Path: "/users", Perm: rbac.UsersRead, Tag: "users", Summary: "List users",
			Result: List[User]{}, handle: a.listUsers},
		{Method: "POST", Path: "/users", Perm: rbac.UsersWrite, Tag: "users", Summary: "Create a user",
			Body: CreateUserRequest{}, Result: User{}, Status: http.StatusCreated, handle: a.createUser},
		{Method: "GET", Path: "/users/{id}", Perm: rbac.UsersRead, Tag: "users", Summary: "Get a user",
			Result: User{}, handle: a.getUser},
		{Method: "PATCH", Path: "/users/{id}", Perm: rbac.UsersWrite, Tag: "users",
			Summary: "Rename, change the role of, disable or enable a user", Body: UpdateUserRequest{}, Result: User{}, handle: a.updateUser},
		{Method: "DELETE", Path: "/users/{id}", Perm: rbac.UsersWrite, Tag: "users",
			Summary: "Delete a user and all its keys", Status: http.StatusNoContent, handle: a.deleteUser},
		{Method: "POST", Path: "/users/{id}/password", Perm: rbac.UsersWrite, Tag: "users",
			Summary: "Set a user's password without the current one (administrators)", Body: SetPasswordRequest{},
			Status: http.StatusNoContent, handle: a.setUserPassword},
	}
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	us, err := a.d.Store.ListUsers(r.Context())
	if err != nil {
		return err
	}
	out := List[User]{Items: make([]User, 0, len(us))}
	for i := range us {
		out.Items = append(out.Items, userView(&us[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	u, err := a.d.Store.GetUser(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return notFound("user %q does not exist", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userView(u))
	return nil
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req CreateUserRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := checkName("name", req.Name, 64); err != nil {
		return err
	}
	if err := a.checkAssignRole(c, req.Role); err != nil {
		return err
	}
	if req.Password != "" {
		if err := auth.CheckPassword(req.Password); err != nil {
			return invalid("password: %s", err.Error())
		}
		if a.d.Sessions == nil {
			return unavailable("password logins")
		}
	}
	u := &store.User{Name: req.Name, Role: req.Role}
	if err := a.d.Store.CreateUser(r.Context(), u); errors.Is(err, store.ErrConflict) {
		return conflict("a user named %q already exists", req.Name)
	} else if err != nil {
		return err
	}
	if req.Password != "" {
		if err := a.d.Sessions.SetPassword(r.Context(), u.ID, req.Password); err != nil {
			return err
		}
		u.PasswordHash = "set"
	}
	a.refreshKeys(r.Context())
	a.record(r, c, "users.create", u.ID, map[string]any{"name": u.Name, "role": u.Role, "password": req.Password != ""})
	writeJSON(w, http.StatusCreated, userView(u))
	return nil
}

// coverUser refuses (403) acting on the user with this id unless the caller's role covers
// the user's; an unknown user is 404.
func (a *API) coverUser(ctx context.Context, c *Caller, id string) error {
	_, err := a.target(ctx, c, id)
	return err
}

// target loads the user a write applies to. Only an owner may change an owner, so that
// users.write held by another role cannot take over the hub.
func (a *API) target(ctx context.Context, c *Caller, id string) (*store.User, error) {
	u, err := a.d.Store.GetUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("user %q does not exist", id)
	}
	if err != nil {
		return nil, err
	}
	if !a.d.Authz.Covers(c.Role, u.Role) {
		return nil, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: fmt.Sprintf("your role %q does not cover this user's role %q, so you cannot change this user", c.Role, u.Role)}
	}
	return u, nil
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req UpdateUserRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil && req.Role == nil && req.Disabled == nil {
		return invalid("nothing to change: give name, role and/or disabled")
	}
	a.usersMu.Lock()
	defer a.usersMu.Unlock()
	if err := a.stillCan(r.Context(), c, rbac.UsersWrite); err != nil {
		return err
	}
	u, err := a.target(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	wasOwner := u.Role == rbac.RoleOwner && !u.Disabled
	if req.Name != nil {
		if err := checkName("name", *req.Name, 64); err != nil {
			return err
		}
		u.Name = *req.Name
	}
	if req.Role != nil && *req.Role != u.Role {
		if err := a.checkAssignRole(c, *req.Role); err != nil {
			return err
		}
		u.Role = *req.Role
	}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
	if wasOwner && (u.Role != rbac.RoleOwner || u.Disabled) {
		if err := a.keepAnOwner(r.Context(), u.ID); err != nil {
			return err
		}
	}
	if err := a.d.Store.UpdateUser(r.Context(), u); errors.Is(err, store.ErrConflict) {
		return conflict("a user named %q already exists", u.Name)
	} else if err != nil {
		return err
	}
	a.refreshKeys(r.Context())
	if u.Disabled {
		a.endConsoleSessions(r, u.ID)
	}
	a.record(r, c, "users.update", u.ID, req)
	writeJSON(w, http.StatusOK, userView(u))
	return nil
}

// keepAnOwner refuses a change that would leave no enabled owner besides except.
func (a *API) keepAnOwner(ctx context.Context, except string) error {
	us, err := a.d.Store.ListUsers(ctx)
	if err != nil {
		return err
	}
	for _, u := range us {
		if u.ID != except && u.Role == rbac.RoleOwner && !u.Disabled {
			return nil
		}
	}
	return conflict("this is the last enabled owner; make another user owner first")
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	a.usersMu.Lock()
	defer a.usersMu.Unlock()
	if err := a.stillCan(r.Context(), c, rbac.UsersWrite); err != nil {
		return err
	}
	u, err := a.target(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if u.Role == rbac.RoleOwner && !u.Disabled {
		if err := a.keepAnOwner(r.Context(), u.ID); err != nil {
			return err
		}
	}
	if err := a.d.Store.DeleteUser(r.Context(), u.ID); err != nil {
		return err
	}
	a.refreshKeys(r.Context())
	a.record(r, c, "users.delete", u.ID, map[string]string{"name": u.Name})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) setUserPassword(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Sessions == nil {
		return unavailable("password logins")
	}
	var req SetPasswordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := auth.CheckPassword(req.Password); err != nil {
		return invalid("password: %s", err.Error())
	}
	if r.PathValue("id") == c.UserID {
		// Changing one's own password needs the current one: a stolen token must not be
		// enough to take the account over.
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: "this is your own user: change your password with POST /auth/password, which needs the current one"}
	}
	u, err := a.target(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := a.d.Sessions.SetPassword(r.Context(), u.ID, req.Password); err != nil {
		return err
	}
	a.endConsoleSessions(r, u.ID)
	a.record(r, c, "users.password", u.ID, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkAssignRole refuses an unknown role, and a role the caller's own does not cover, so
// that users.write cannot be used to escalate (a custom role with users.write cannot make
// anyone an owner).
func (a *API) checkAssignRole(c *Caller, role string) error {
	if role == "" {
		return invalid("role is required (owner, operator, viewer or a custom role)")
	}
	if _, ok := a.d.Authz.Role(role); !ok {
		return invalid("role %q does not exist", role)
	}
	if !a.d.Authz.Covers(c.Role, role) {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: fmt.Sprintf("your role %q does not cover role %q, so you cannot give it", c.Role, role)}
	}
	return nil
}

// stillCan re-reads the caller's user under usersMu: a change that waited for another may
// find its caller demoted, disabled or deleted by it, and must then not be made.
func (a *API) stillCan(ctx context.Context, c *Caller, perm string) error {
	u, err := a.d.Store.GetUser(ctx, c.UserID)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Disabled {
		return errorf(http.StatusUnauthorized, CodeUnauthorized, "your user no longer exists or is disabled")
	}
	if err != nil {
		return err
	}
	c.Role = u.Role
	if !c.Can(perm) {
		return forbidden(perm)
	}
	return nil
}

// endConsoleSessions deletes the user's web console sessions (a disabled user, a password
// set by an administrator). Their tokens are refused anyway, since the user changed; this
// removes the sessions themselves at once, on every hub.
func (a *API) endConsoleSessions(r *http.Request, userID string) {
	if _, err := a.d.Store.DeleteUserConsoleSessions(r.Context(), userID); err != nil {
		a.log.Error("api: console sessions of a changed user not deleted; they are refused at their next use", "user", userID, "err", err)
	}
}
