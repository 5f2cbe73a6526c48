package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Group is a tool group as the API shows it (docs/GROUPS.md).
type Group struct {
	config.Group
	// Source is "hub.toml" (read-only here) or "api".
	Source string `json:"source"`
	// Endpoint is where the group is served: /mcp/<name>.
	Endpoint string `json:"endpoint"`
}

// UpdateGroupRequest is the body of PATCH /groups/{name}: the settings of a group that may
// change without restating its selectors.
type UpdateGroupRequest struct {
	// Surface: "full", "discovery" or "" (the hub's). Open sessions keep the surface they
	// started with.
	Surface *string `json:"surface"`
}

// GroupTool is a tool that belongs to a group: GET /groups/{name}/tools.
type GroupTool struct {
	Name    string `json:"name"`
	Agent   string `json:"agent"`
	Backend string `json:"backend"`
	Risk    string `json:"risk"`
}

func (a *API) groupRoutes() []route {
	return []route{
		{Method: "GET", Path: "/groups", Perm: rbac.GroupsRead, Tag: "groups",
			Summary: "List the tool groups, each served at /mcp/<name>", Result: List[Group]{}, handle: a.listGroups},
		{Method: "GET", Path: "/groups/{name}/tools", Perm: rbac.GroupsRead, Tag: "groups",
			Summary: "List the tools that belong to a tool group now", Result: List[GroupTool]{}, handle: a.groupTools},
		{Method: "POST", Path: "/groups/{name}", Perm: rbac.GroupsWrite, Tag: "groups",
			Summary: "Create a tool group", Body: config.Group{}, Result: Group{}, Status: http.StatusCreated, handle: a.createGroup},
		{Method: "PUT", Path: "/groups/{name}", Perm: rbac.GroupsWrite, Tag: "groups",
			Summary: "Replace an API-created tool group", Body: config.Group{}, Result: Group{}, handle: a.updateGroup},
		{Method: "PATCH", Path: "/groups/{name}", Perm: rbac.GroupsWrite, Tag: "groups",
			Summary: "Change an API-created tool group's surface (docs/DISCOVERY.md)", Body: UpdateGroupRequest{}, Result: Group{}, handle: a.patchGroup},
		{Method: "DELETE", Path: "/groups/{name}", Perm: rbac.GroupsWrite, Tag: "groups",
			Summary: "Delete an API-created tool group", Status: http.StatusNoContent, handle: a.deleteGroup},
	}
}

// groups returns every group: hub.toml's, then the stored ones (a stored group whose name
// hub.toml also declares is hidden by it).
func (a *API) groups(ctx context.Context) ([]Group, error) {
	var out []Group
	for _, g := range a.d.ConfigGroups {
		out = append(out, Group{Group: g, Source: SourceConfig, Endpoint: "/mcp/" + g.Name})
	}
	recs, err := a.d.Store.ListToolGroups(ctx)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		var g config.Group
		if json.Unmarshal([]byte(rec.Spec), &g) != nil || a.isConfigGroup(rec.Name) {
			continue
		}
		g.Name = rec.Name
		out = append(out, Group{Group: g, Source: SourceAPI, Endpoint: "/mcp/" + g.Name})
	}
	return out, nil
}

func (a *API) isConfigGroup(name string) bool {
	return slices.ContainsFunc(a.d.ConfigGroups, func(g config.Group) bool { return g.Name == name })
}

func (a *API) listGroups(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	gs, err := a.groups(r.Context())
	if err != nil {
		return err
	}
	if gs == nil {
		gs = []Group{}
	}
	writeJSON(w, http.StatusOK, List[Group]{Items: gs})
	return nil
}

func (a *API) groupTools(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	if a.d.GroupTools == nil {
		return unavailable("tool groups")
	}
	name := r.PathValue("name")
	ts, ok := a.d.GroupTools(name)
	if !ok {
		return notFound("group %q is not served", name)
	}
	out := make([]GroupTool, 0, len(ts))
	for _, t := range ts {
		out = append(out, GroupTool{Name: t.Name, Agent: t.Agent, Backend: t.Backend, Risk: t.Risk})
	}
	writeJSON(w, http.StatusOK, List[GroupTool]{Items: out})
	return nil
}

// groupBody reads and checks a group from the request; the name comes from the path.
func (a *API) groupBody(w http.ResponseWriter, r *http.Request) (config.Group, string, error) {
	name := r.PathValue("name")
	var g config.Group
	if a.isConfigGroup(name) {
		return g, "", conflict("group %q is declared in hub.toml; change it there", name)
	}
	if a.d.ReloadGroups == nil {
		return g, "", unavailable("tool groups")
	}
	if err := decode(w, r, &g); err != nil {
		return g, "", err
	}
	if g.Name != "" && g.Name != name {
		return g, "", invalid("name %q in the body differs from %q in the path", g.Name, name)
	}
	g.Name = name
	if err := g.Validate(); err != nil {
		return g, "", invalid("%s", err.Error())
	}
	raw, err := json.Marshal(g)
	return g, string(raw), err
}

func (a *API) createGroup(w http.ResponseWriter, r *http.Request, c *Caller) error {
	g, raw, err := a.groupBody(w, r)
	if err != nil {
		return err
	}
	if err := a.d.Store.CreateToolGroup(r.Context(), &store.ToolGroupRecord{Name: g.Name, Spec: raw, CreatedBy: c.Actor()}); errors.Is(err, store.ErrConflict) {
		return conflict("group %q already exists", g.Name)
	} else if err != nil {
		return err
	}
	if err := a.d.ReloadGroups(r.Context()); err != nil {
		return err
	}
	a.record(r, c, "groups.create", g.Name, g)
	writeJSON(w, http.StatusCreated, Group{Group: g, Source: SourceAPI, Endpoint: "/mcp/" + g.Name})
	return nil
}

func (a *API) updateGroup(w http.ResponseWriter, r *http.Request, c *Caller) error {
	g, raw, err := a.groupBody(w, r)
	if err != nil {
		return err
	}
	return a.saveGroup(w, r, c, g, raw)
}

// saveGroup stores an API group's new definition, reloads the groups and answers with it.
func (a *API) saveGroup(w http.ResponseWriter, r *http.Request, c *Caller, g config.Group, raw string) error {
	if err := a.d.Store.UpdateToolGroup(r.Context(), &store.ToolGroupRecord{Name: g.Name, Spec: raw}); errors.Is(err, store.ErrNotFound) {
		return notFound("group %q does not exist", g.Name)
	} else if err != nil {
		return err
	}
	if err := a.d.ReloadGroups(r.Context()); err != nil {
		return err
	}
	a.record(r, c, "groups.update", g.Name, g)
	writeJSON(w, http.StatusOK, Group{Group: g, Source: SourceAPI, Endpoint: "/mcp/" + g.Name})
	return nil
}

func (a *API) patchGroup(w http.ResponseWriter, r *http.Request, c *Caller) error {
	name := r.PathValue("name")
	if a.isConfigGroup(name) {
		return conflict("group %q is declared in hub.toml; change it there", name)
	}
	if a.d.ReloadGroups == nil {
		return unavailable("tool groups")
	}
	var req UpdateGroupRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Surface == nil {
		return invalid("nothing to change: give surface")
	}
	gs, err := a.groups(r.Context())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(gs, func(g Group) bool { return g.Name == name })
	if i < 0 {
		return notFound("group %q does not exist", name)
	}
	g := gs[i].Group
	g.Surface = *req.Surface
	if err := g.Validate(); err != nil {
		return invalid("%s", err.Error())
	}
	raw, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return a.saveGroup(w, r, c, g, string(raw))
}

func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request, c *Caller) error {
	name := r.PathValue("name")
	if a.isConfigGroup(name) {
		return conflict("group %q is declared in hub.toml; remove it there", name)
	}
	if a.d.ReloadGroups == nil {
		return unavailable("tool groups")
	}
	if err := a.d.Store.DeleteToolGroup(r.Context(), name); errors.Is(err, store.ErrNotFound) {
		return notFound("group %q does not exist", name)
	} else if err != nil {
		return err
	}
	if err := a.d.ReloadGroups(r.Context()); err != nil {
		return err
	}
	a.record(r, c, "groups.delete", name, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkKeyGroups checks that every group a new key is limited to exists.
func (a *API) checkKeyGroups(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	gs, err := a.groups(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		if !slices.ContainsFunc(gs, func(g Group) bool { return g.Name == n }) {
			return invalid("groups: tool group %q does not exist", n)
		}
	}
	return nil
}
