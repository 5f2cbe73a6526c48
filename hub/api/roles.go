package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// RoleRequest is the body of POST /roles and PUT /roles/{name}.
type RoleRequest struct {
	Name        string   `json:"name,omitempty"` // POST only; PUT takes it from the path
	Description string   `json:"description,omitempty"`
	Permissions []string `json:"permissions"`
	ToolAllow   []string `json:"tool_allow,omitempty"`
	ToolDeny    []string `json:"tool_deny,omitempty"`
}

func (rq RoleRequest) role() *store.Role {
	return &store.Role{Name: rq.Name, Description: rq.Description, Permissions: rq.Permissions,
		ToolAllow: rq.ToolAllow, ToolDeny: rq.ToolDeny}
}

func (a *API) roleRoutes() []route {
	return []route{
		{Method: "GET", Path: "/roles", Perm: rbac.RolesRead, Tag: "roles", Summary: "List built-in and custom roles",
			Result: List[rbac.Role]{}, handle: a.listRoles},
		{Method: "POST", Path: "/roles", Perm: rbac.RolesWrite, Tag: "roles",
			Summary: "Create a custom role (only with permissions your own role holds)", Body: RoleRequest{},
			Result: rbac.Role{}, Status: http.StatusCreated, handle: a.createRole},
		{Method: "GET", Path: "/roles/{name}", Perm: rbac.RolesRead, Tag: "roles", Summary: "Get a role",
			Result: rbac.Role{}, handle: a.getRole},
		{Method: "PUT", Path: "/roles/{name}", Perm: rbac.RolesWrite, Tag: "roles",
			Summary: "Replace a custom role (built-in roles are read-only: 409)", Body: RoleRequest{}, Result: rbac.Role{}, handle: a.putRole},
		{Method: "DELETE", Path: "/roles/{name}", Perm: rbac.RolesWrite, Tag: "roles",
			Summary: "Delete a custom role no user holds", Status: http.StatusNoContent, handle: a.deleteRole},
	}
}

func (a *API) listRoles(w http.ResponseWriter, _ *http.Request, _ *Caller) error {
	writeJSON(w, http.StatusOK, List[rbac.Role]{Items: a.d.Authz.Roles()})
	return nil
}

func (a *API) getRole(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	role, ok := a.d.Authz.Role(r.PathValue("name"))
	if !ok {
		return notFound("role %q does not exist", r.PathValue("name"))
	}
	writeJSON(w, http.StatusOK, role)
	return nil
}

// roleError maps rbac's and the store's refusals: built-in → 409, in use → 409.
func roleError(name string, err error) error {
	switch {
	case errors.Is(err, rbac.ErrBuiltinRole):
		return conflict("role %q is built in and read-only", name)
	case errors.Is(err, rbac.ErrRoleInUse):
		return conflict("%s", strings.TrimPrefix(err.Error(), "delete role "))
	case errors.Is(err, store.ErrNotFound):
		return notFound("role %q does not exist", name)
	case errors.Is(err, store.ErrConflict):
		return conflict("role %q already exists", name)
	}
	return err
}

// checkRoleGrant refuses to write a role holding more than the caller's own.
func (a *API) checkRoleGrant(c *Caller, r *store.Role) error {
	if err := rbac.ValidateRole(r); errors.Is(err, rbac.ErrBuiltinRole) {
		return roleError(r.Name, err)
	} else if err != nil {
		return invalid("%s", err.Error())
	}
	if !a.d.Authz.CoversPermissions(c.Role, r) {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: "a role may only hold permissions (and reach tools) that your own role " + c.Role + " has"}
	}
	return nil
}

// coverRole refuses changing or deleting an existing custom role that holds more than the
// caller's own (404 for an unknown one; built-ins are refused before).
func (a *API) coverRole(c *Caller, name string) error {
	if _, ok := a.d.Authz.Role(name); !ok {
		return notFound("role %q does not exist", name)
	}
	if !a.d.Authz.Covers(c.Role, name) {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: "role " + name + " holds more than your role " + c.Role + "; you cannot change it"}
	}
	return nil
}

func (a *API) createRole(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req RoleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sr := req.role()
	if err := a.checkRoleGrant(c, sr); err != nil {
		return err
	}
	if err := a.d.Authz.CreateRole(r.Context(), sr); err != nil {
		return roleError(sr.Name, err)
	}
	a.record(r, c, "roles.create", sr.Name, req)
	role, _ := a.d.Authz.Role(sr.Name)
	writeJSON(w, http.StatusCreated, role)
	return nil
}

func (a *API) putRole(w http.ResponseWriter, r *http.Request, c *Caller) error {
	name := r.PathValue("name")
	if rbac.IsBuiltin(name) {
		return conflict("role %q is built in and read-only", name)
	}
	var req RoleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name != "" && req.Name != name {
		return invalid("name %q in the body differs from %q in the path; roles cannot be renamed", req.Name, name)
	}
	req.Name = name
	sr := req.role()
	if err := a.checkRoleGrant(c, sr); err != nil {
		return err
	}
	if err := a.coverRole(c, name); err != nil {
		return err
	}
	if err := a.d.Authz.UpdateRole(r.Context(), sr); err != nil {
		return roleError(name, err)
	}
	a.record(r, c, "roles.update", name, req)
	role, _ := a.d.Authz.Role(name)
	writeJSON(w, http.StatusOK, role)
	return nil
}

func (a *API) deleteRole(w http.ResponseWriter, r *http.Request, c *Caller) error {
	name := r.PathValue("name")
	if _, ok := a.d.Authz.Role(name); !ok {
		return notFound("role %q does not exist", name)
	}
	if err := a.coverRole(c, name); err != nil {
		return err
	}
	if err := a.d.Authz.DeleteRole(r.Context(), name); err != nil {
		return roleError(name, err)
	}
	a.record(r, c, "roles.delete", name, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
