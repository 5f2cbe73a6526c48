package api

import (
	"net/http"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// User is a user as the API shows it (never a password hash).
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func userView(u *store.User) User {
	return User{ID: u.ID, Name: u.Name, Role: u.Role, CreatedAt: u.CreatedAt}
}

// CreateUserRequest is the body of POST /users.
type CreateUserRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// List is the envelope of every list response.
type List[T any] struct {
	Items []T `json:"items"`
	// Next is the cursor of the following page; empty on the last page.
	Next string `json:"next,omitempty"`
}

func (a *API) userRoutes() []route {
	return []route{
		{Method: "GET", Path: "/users", Perm: PermUsersRead, Tag: "users", Summary: "List users",
			Result: List[User]{}, handle: a.listUsers},
		{Method: "POST", Path: "/users", Perm: PermUsersWrite, Tag: "users", Summary: "Create a user",
			Body: CreateUserRequest{}, Result: User{}, Status: http.StatusCreated, handle: a.createUser},
		{Method: "GET", Path: "/users/{id}", Perm: PermUsersRead, Tag: "users", Summary: "Get a user",
			Result: User{}, handle: a.getUser},
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
	u := &store.User{Name: req.Name, Role: req.Role}
	if err := a.d.Store.CreateUser(r.Context(), u); err != nil {
		return err
	}
	a.record(r, c, "users.create", u.ID, map[string]string{"name": u.Name, "role": u.Role})
	writeJSON(w, http.StatusCreated, userView(u))
	return nil
}

// builtinRoles are the roles hub/rbac defines in code.
var builtinRoles = []string{"owner", "operator", "viewer"}

// checkAssignRole refuses an unknown role, and the owner role to anyone but an owner, so
// that users.write cannot be used to escalate.
func (a *API) checkAssignRole(c *Caller, role string) error {
	if role == "" {
		return invalid("role is required (one of owner, operator, viewer, or a custom role)")
	}
	if !a.roleExists(role) {
		return invalid("role %q does not exist", role)
	}
	if role == "owner" && c.Role != "owner" {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Message: "only an owner may give the owner role"}
	}
	return nil
}

func (a *API) roleExists(role string) bool {
	for _, b := range builtinRoles {
		if b == role {
			return true
		}
	}
	return false
}
