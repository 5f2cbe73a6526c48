package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/risk"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
)

// ToolRegistry is the hub's tool state (*tools.Registry).
type ToolRegistry interface {
	List() []tools.Info
	Get(name string) (tools.Info, bool)
	SetDisabled(ctx context.Context, name string, disabled bool) (tools.Info, error)
	SetRisk(ctx context.Context, name, category string) (tools.Info, error)
	ApproveFingerprint(ctx context.Context, name, actor, fingerprint string) (tools.Info, error)
	Definitions(ctx context.Context, name string) (tools.Definitions, error)
}

// ToolDetail is GET /tools/{name}: the tool as listed, plus what a reviewer compares before
// approving it: its current definition and, for a definition that changed since it was
// pinned or approved, the definition it had then.
type ToolDetail struct {
	tools.Info
	tools.Definitions
}

// ApproveRequest is the optional body of POST /tools/{name}/approve.
type ApproveRequest struct {
	// Fingerprint is the definition's fingerprint as reviewed (GET /tools/{name}); when
	// given, a tool whose definition has changed since is not approved (409).
	Fingerprint string `json:"fingerprint,omitempty"`
}

// ToolPatch is the body of PATCH /tools/{name}; absent fields are left as they are.
type ToolPatch struct {
	Disabled *bool `json:"disabled,omitempty"`
	// Risk overrides the classified category; "" removes the override.
	Risk *string `json:"risk,omitempty"`
}

func (a *API) toolRoutes() []route {
	return []route{
		{Method: "GET", Path: "/tools", Perm: rbac.ToolsRead, Tag: "tools",
			Summary: "List tools with risk, state and integrity findings",
			Query: []param{{"q", "substring of the name, alias or description (case-insensitive)"},
				{"risk", "only tools of this effective risk category"}},
			Result: List[tools.Info]{}, handle: a.listTools},
		{Method: "GET", Path: "/tools/{name}", Perm: rbac.ToolsRead, Tag: "tools",
			Summary: "Get one tool by exposed name or alias, with its definition and the one it was pinned with",
			Result:  ToolDetail{}, handle: a.getTool},
		{Method: "PATCH", Path: "/tools/{name}", Perm: rbac.ToolsWrite, Tag: "tools",
			Summary: "Disable or enable a tool, or override its risk", Body: ToolPatch{}, Result: tools.Info{}, handle: a.patchTool},
		{Method: "POST", Path: "/tools/{name}/approve", Perm: rbac.ToolsWrite, Tag: "tools",
			Summary: "Approve a tool's definition (the reviewed fingerprint, if given): pin it and lift its quarantine",
			Body:    ApproveRequest{}, Result: tools.Info{}, handle: a.approveTool},
	}
}

// visible applies the caller's tool globs: a tool its role may not reach is not shown
// (as in MCP tools/list) nor changed through the API.
func (a *API) visible(c *Caller, t *tools.Info) bool {
	return a.d.Authz.ToolAllowed(c.Role, t.Name, t.Alias, t.Tool)
}

// tool finds a tool by exposed name or alias among those the caller may reach.
func (a *API) tool(c *Caller, name string) (tools.Info, error) {
	t, ok := a.d.Tools.Get(name)
	if !ok || !a.visible(c, &t) {
		return t, notFound("tool %q is not exposed by this hub", name)
	}
	return t, nil
}

func (a *API) listTools(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Tools == nil {
		return unavailable("tool states")
	}
	q := strings.ToLower(r.URL.Query().Get("q"))
	rk := r.URL.Query().Get("risk")
	if rk != "" {
		if _, err := risk.ParseCategory(rk); err != nil {
			return invalid("risk: %s", err.Error())
		}
	}
	out := List[tools.Info]{Items: []tools.Info{}}
	for _, t := range a.d.Tools.List() {
		if rk != "" && t.Risk != rk || !a.visible(c, &t) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(t.Name+"\x00"+t.Alias+"\x00"+t.Description), q) {
			continue
		}
		out.Items = append(out.Items, t)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getTool(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Tools == nil {
		return unavailable("tool states")
	}
	t, err := a.tool(c, r.PathValue("name"))
	if err != nil {
		return err
	}
	d, err := a.d.Tools.Definitions(r.Context(), t.Name)
	if err != nil {
		return toolError(t.Name, err)
	}
	writeJSON(w, http.StatusOK, ToolDetail{Info: t, Definitions: d})
	return nil
}

func (a *API) patchTool(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Tools == nil {
		return unavailable("tool states")
	}
	name := r.PathValue("name")
	var p ToolPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.Disabled == nil && p.Risk == nil {
		return invalid("nothing to change: give \"disabled\" and/or \"risk\"")
	}
	if _, err := a.tool(c, name); err != nil {
		return err
	}
	if p.Risk != nil && *p.Risk != "" {
		if _, err := risk.ParseCategory(*p.Risk); err != nil {
			return invalid("risk: %s", err.Error())
		}
	}
	var info tools.Info
	var err error
	if p.Disabled != nil {
		if info, err = a.d.Tools.SetDisabled(r.Context(), name, *p.Disabled); err != nil {
			return toolError(name, err)
		}
		action := "tools.enable"
		if *p.Disabled {
			action = "tools.disable"
		}
		a.record(r, c, action, name, nil)
	}
	if p.Risk != nil {
		if info, err = a.d.Tools.SetRisk(r.Context(), name, *p.Risk); err != nil {
			return toolError(name, err)
		}
		a.record(r, c, "tools.risk", name, map[string]string{"risk": *p.Risk})
	}
	if a.d.ToolStatesChanged != nil {
		a.d.ToolStatesChanged()
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func (a *API) approveTool(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Tools == nil {
		return unavailable("tool states")
	}
	name := r.PathValue("name")
	var req ApproveRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	if _, err := a.tool(c, name); err != nil {
		return err
	}
	info, err := a.d.Tools.ApproveFingerprint(r.Context(), name, c.Actor(), req.Fingerprint)
	if errors.Is(err, tools.ErrDefinitionChanged) {
		return conflict("tool %q was not approved: %s; review it again", name, err.Error())
	}
	if err != nil {
		return toolError(name, err)
	}
	a.record(r, c, "tools.approve", name, map[string]string{"fingerprint": info.Fingerprint})
	if a.d.ToolStatesChanged != nil {
		a.d.ToolStatesChanged()
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func toolError(name string, err error) error {
	if errors.Is(err, tools.ErrUnknownTool) {
		return notFound("tool %q is not exposed by this hub", name)
	}
	return err
}
