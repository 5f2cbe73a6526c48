package gateway

import (
	"context"
	"crypto/sha256"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
)

// Tool groups (docs/GROUPS.md): a named set of tools served at /mcp/<name> by the same
// handler as /mcp. The group is a filter on what a request sees and may call; everything
// else (RBAC, tool state, policy, audit, bounds) is the usual pipeline.

// GroupSpec defines a group: hub.toml's [[groups]] entry (config.Group).
type GroupSpec = config.Group

// Group is a compiled GroupSpec.
type Group struct {
	Spec  GroupSpec
	globs []policy.Glob
}

// CompileGroup checks a spec and compiles its globs.
func CompileGroup(s GroupSpec) (*Group, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	g := &Group{Spec: s}
	for _, p := range s.Tools {
		gl, err := policy.CompileGlob(p)
		if err != nil {
			return nil, err
		}
		g.globs = append(g.globs, gl)
	}
	return g, nil
}

// hasTool reports whether a tool (its governance view) belongs to the group.
func (g *Group) hasTool(ti *tools.Info) bool {
	if len(g.globs) > 0 && !slices.ContainsFunc(g.globs, func(gl policy.Glob) bool {
		return gl.Match(ti.Name) || (ti.Alias != "" && gl.Match(ti.Alias))
	}) {
		return false
	}
	if len(g.Spec.Risks) > 0 && !slices.Contains(g.Spec.Risks, ti.Risk) {
		return false
	}
	return g.selects(ti.Target)
}

// selects reports whether the group's agent and backend fields let a target through.
func (g *Group) selects(t router.Target) bool {
	if len(g.Spec.Agents) > 0 && !slices.Contains(g.Spec.Agents, t.Agent) {
		return false
	}
	if len(g.Spec.Backends) > 0 && !slices.ContainsFunc(g.Spec.Backends, func(b string) bool {
		ag, be, two := strings.Cut(b, "/")
		if !two {
			return b == t.Backend
		}
		return ag == t.Agent && be == t.Backend
	}) {
		return false
	}
	return true
}

// hasOther reports whether a prompt, resource or template of a backend belongs to the
// group: only groups that select by agent or backend carry them (a name glob or a risk
// category says nothing about prompts and resources).
func (g *Group) hasOther(t router.Target) bool {
	if len(g.Spec.Agents)+len(g.Spec.Backends) == 0 {
		return false
	}
	return g.selects(t)
}

// groupSet is the gateway's groups and, per group, the fingerprints of its lists the
// last time list_changed was decided.
type groupSet struct {
	mu     sync.Mutex
	byName map[string]*Group
	fps    map[string]groupPrints
}

type groupPrints struct{ tools, prompts, resources [32]byte }

// SetGroups replaces the tool groups served at /mcp/<name>.
func (g *Gateway) SetGroups(groups []*Group) {
	m := make(map[string]*Group, len(groups))
	for _, gr := range groups {
		m[gr.Spec.Name] = gr
	}
	t := g.tables.Table()
	g.groups.mu.Lock()
	defer g.groups.mu.Unlock()
	fps := make(map[string]groupPrints, len(m))
	for name, gr := range m {
		fps[name] = g.groupPrints(gr, t)
	}
	g.groups.byName, g.groups.fps = m, fps
}

// Group returns the group of a name, if there is one.
func (g *Gateway) Group(name string) (*Group, bool) {
	g.groups.mu.Lock()
	defer g.groups.mu.Unlock()
	gr, ok := g.groups.byName[name]
	return gr, ok
}

// GroupTools returns the tools of the current table that belong to a group (whoever asks:
// RBAC, tool state and policy narrow it further per caller); false if there is no such group.
func (g *Gateway) GroupTools(name string) ([]tools.Info, bool) {
	gr, ok := g.Group(name)
	if !ok {
		return nil, false
	}
	out := []tools.Info{}
	for _, ti := range g.gov.Tools.Index(g.tables.Table()).Listed() {
		if gr.hasTool(&ti) {
			out = append(out, ti)
		}
	}
	return out, true
}

// groupPrints hashes what a group shows of a table.
func (g *Gateway) groupPrints(gr *Group, t *router.Table) groupPrints {
	var p groupPrints
	h := sha256.New()
	tls := t.Tools()
	for i, ti := range g.gov.Tools.Index(t).Listed() {
		if gr.hasTool(&ti) {
			h.Write(tls[i])
			h.Write([]byte{0})
		}
	}
	h.Sum(p.tools[:0])
	h.Reset()
	pl := t.PromptList()
	for i, name := range pl.Keys {
		if tg, ok := t.Prompt(name); ok && gr.hasOther(tg) {
			h.Write(pl.Items[i])
			h.Write([]byte{0})
		}
	}
	h.Sum(p.prompts[:0])
	h.Reset()
	for _, l := range []router.List{t.ResourceList(), t.ResourceTemplateList()} {
		for i, uri := range l.Keys {
			if tg, ok := resourceTarget(t, uri); ok && gr.hasOther(tg) {
				h.Write(l.Items[i])
				h.Write([]byte{0})
			}
		}
		h.Write([]byte{1})
	}
	h.Sum(p.resources[:0])
	return p
}

func resourceTarget(t *router.Table, uri string) (router.Target, bool) {
	if tg, ok := t.Resource(uri); ok {
		return tg, true
	}
	return t.ResourceTemplate(uri)
}

// groupChanges recomputes every group's fingerprints after a table change and returns,
// per group, which of its lists changed.
func (g *Gateway) groupChanges(c router.Changes) map[string]router.Changes {
	t := g.tables.Table()
	g.groups.mu.Lock()
	defer g.groups.mu.Unlock()
	out := make(map[string]router.Changes, len(g.groups.byName))
	for name, gr := range g.groups.byName {
		old := g.groups.fps[name]
		now := g.groupPrints(gr, t)
		g.groups.fps[name] = now
		out[name] = router.Changes{
			Tools:     c.Tools && now.tools != old.tools,
			Prompts:   c.Prompts && now.prompts != old.prompts,
			Resources: c.Resources && now.resources != old.resources,
		}
	}
	return out
}

// filterList narrows a prompt or resource list to a group's backends.
func filterList(l router.List, keep func(key string) bool) router.List {
	var out router.List
	for i, k := range l.Keys {
		if keep(k) {
			out.Items = append(out.Items, l.Items[i])
			out.Keys = append(out.Keys, k)
		}
	}
	return out
}

type groupKey struct{}

// groupFrom returns the group the request's endpoint serves, nil at /mcp.
func groupFrom(ctx context.Context) *Group {
	gr, _ := ctx.Value(groupKey{}).(*Group)
	return gr
}

// groupName is the name of a request's group, "" at /mcp.
func (gr *Group) name() string {
	if gr == nil {
		return ""
	}
	return gr.Spec.Name
}

// inGroupEndpoint serves a tool group's endpoint (/mcp/{group}, /sse/{group},
// /messages/{group}): h with the group in the request, and the group's surface for a caller
// whose URL, key and application chose none. An unknown group is 404; a key limited to
// other groups is 403.
func (g *Gateway) inGroupEndpoint(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("group")
		gr, ok := g.Group(name)
		if !ok {
			httpError(w, http.StatusNotFound, "unknown tool group "+strconv.Quote(name))
			return
		}
		id := identityFrom(r.Context())
		if !id.MayUseGroup(name) {
			httpError(w, http.StatusForbidden, "this API key is limited to the tool groups "+id.Groups+
				": it cannot reach "+r.URL.Path)
			return
		}
		ctx := context.WithValue(r.Context(), groupKey{}, gr)
		if gr.Spec.Surface != "" {
			// guard chose with the endpoint's surface unknown; choose again with the group's
			// (a bad ?surface= was refused there already).
			surface, _ := g.surfaceOf(Endpoint{Surface: gr.Spec.Surface}, id, r)
			ctx = context.WithValue(ctx, surfaceKey{}, surface == SurfaceDiscovery)
		}
		h(w, r.WithContext(ctx))
	})
}

// serveRoot serves /mcp, which a key limited to groups may not reach.
func (g *Gateway) serveRoot(w http.ResponseWriter, r *http.Request) {
	if id := identityFrom(r.Context()); !id.MayUseGroup("") {
		httpError(w, http.StatusForbidden, "this API key is limited to the tool groups "+id.Groups+
			": use /mcp/<group>, not "+r.URL.Path)
		return
	}
	g.serveMCP(w, r)
}

// clientIn is the client context of a request in this session, at the request's endpoint.
func (s *session) clientIn(r *http.Request) *client {
	c := s.client()
	c.group = groupFrom(r.Context())
	return c
}

// notGroupLimited refuses /sse and /messages to keys limited to groups: they use
// /sse/<group> (and the /messages/<group> it names).
func notGroupLimited(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := identityFrom(r.Context()); !id.MayUseGroup("") {
			httpError(w, http.StatusForbidden, "this API key is limited to the tool groups "+id.Groups+
				": use /mcp/<group> or /sse/<group>, not "+r.URL.Path)
			return
		}
		h(w, r)
	})
}

// toolKeep is what tools/list shows the client: the tools it may see, within its group.
func (g *Gateway) toolKeep(c *client, t *router.Table) func(int) bool {
	visible := g.checks().ToolVisible(c.identity, t)
	if c.group == nil {
		return visible
	}
	listed := g.gov.Tools.Index(t).Listed()
	gr := c.group
	return func(i int) bool { return gr.hasTool(&listed[i]) && visible(i) }
}

// inGroup narrows a prompt or resource list to the client's group.
func (g *Gateway) inGroup(c *client, l router.List, lookup func(string) (router.Target, bool)) router.List {
	if c.group == nil || len(l.Keys) == 0 {
		return l
	}
	return filterList(l, func(k string) bool {
		tg, ok := lookup(k)
		return ok && c.group.hasOther(tg)
	})
}

// groupHas reports whether a routed tool or prompt belongs to the client's group.
func (g *Gateway) groupHas(c *client, kind string, t *router.Table, tgt router.Target) bool {
	if c.group == nil {
		return true
	}
	if kind != "tool" {
		return c.group.hasOther(tgt)
	}
	ti, ok := g.gov.Tools.Index(t).Lookup(tgt)
	return ok && c.group.hasTool(ti)
}
