package router

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// Target is what an exposed name stands for.
type Target struct {
	Agent   string // "" for a hub-local backend
	Backend string
	Name    string // the original tool or prompt name, or the original URI or URI template
}

func (a Target) less(b Target) bool {
	if a.Agent != b.Agent {
		return a.Agent < b.Agent
	}
	if a.Backend != b.Backend {
		return a.Backend < b.Backend
	}
	return a.Name < b.Name
}

// Collision records targets whose exposed names came out equal. The first target (in
// agent, backend, name order) keeps Exposed; Names[i] is the name Targets[i] got.
type Collision struct {
	Kind    string // "tool", "prompt" or "resource" (a URI prefix shared by backends)
	Exposed string
	Targets []Target
	Names   []string
}

// BackendInfo describes one backend as the router sees it, for operators and metrics.
type BackendInfo struct {
	Agent     string
	Backend   string
	Transport string
	Naming    string // "auto" or "prefixed"
	State     string
	Error     string
	Prefix    string // the resource URI prefix, when ready
	// Restarts, LastRestart (Unix ms) and LastError are the supervisor's, as the backend
	// reported them (protocol.Backend); zero from an agent too old to report them.
	Restarts    int
	LastRestart int64
	LastError   string

	// Exposed counts, zero unless ready.
	Tools, Resources, ResourceTemplates, Prompts int
	// Skipped counts items left out: not a JSON object, no name or URI, or a repeat.
	Skipped int
}

type backendKey struct{ agent, backend string }

// Table is an immutable snapshot of the exposed names, safe for concurrent use. Its maps are
// persistent (shared with the tables before and after it); the flat lists a caller asks for
// are made from them once per table, on first use. The slices it returns are shared:
// callers must not modify them.
type Table struct {
	st state

	toolsOnce, promptsOnce, resOnce, tmplsOnce, backendsOnce, collisionsOnce sync.Once

	tools, prompts, res, tmpls List
	backends                   []BackendInfo
	collisions                 []Collision
}

func listOf[V any](t ptree[string, V], raw func(V) json.RawMessage) List {
	l := List{Items: make([]json.RawMessage, 0, t.Len()), Keys: make([]string, 0, t.Len())}
	t.Each(func(k string, v V) bool {
		l.Items, l.Keys = append(l.Items, raw(v)), append(l.Keys, k)
		return true
	})
	return l
}

func itemRaw(it *item) json.RawMessage       { return it.raw }
func uriItemRaw(it *uriItem) json.RawMessage { return it.raw }

// ToolList is Tools with their names, for List.Page.
func (t *Table) ToolList() List {
	t.toolsOnce.Do(func() { t.tools = listOf(t.st.tools.listed, itemRaw) })
	return List{Items: clip(t.tools.Items), Keys: clip(t.tools.Keys)}
}

// PromptList is Prompts with their names, for List.Page.
func (t *Table) PromptList() List {
	t.promptsOnce.Do(func() { t.prompts = listOf(t.st.prompts.listed, itemRaw) })
	return List{Items: clip(t.prompts.Items), Keys: clip(t.prompts.Keys)}
}

// ResourceList is Resources with their URIs, for List.Page.
func (t *Table) ResourceList() List {
	t.resOnce.Do(func() { t.res = listOf(t.st.res.uris.listed, uriItemRaw) })
	return List{Items: clip(t.res.Items), Keys: clip(t.res.Keys)}
}

// ResourceTemplateList is ResourceTemplates with their templates, for List.Page.
func (t *Table) ResourceTemplateList() List {
	t.tmplsOnce.Do(func() { t.tmpls = listOf(t.st.res.tmpls.listed, uriItemRaw) })
	return List{Items: clip(t.tmpls.Items), Keys: clip(t.tmpls.Keys)}
}

// Tools returns the exposed tools, sorted by name: each backend's raw JSON object with only
// "name" rewritten.
func (t *Table) Tools() []json.RawMessage { return t.ToolList().Items }

// Prompts returns the exposed prompts, sorted by name, with only "name" rewritten.
func (t *Table) Prompts() []json.RawMessage { return t.PromptList().Items }

// Resources returns the exposed resources, sorted by URI, with only "uri" rewritten.
func (t *Table) Resources() []json.RawMessage { return t.ResourceList().Items }

// ResourceTemplates returns the exposed templates, sorted by template, with only
// "uriTemplate" rewritten.
func (t *Table) ResourceTemplates() []json.RawMessage { return t.ResourceTemplateList().Items }

// Tool resolves an exposed tool name, listed or alias.
func (t *Table) Tool(exposed string) (Target, bool) { return t.st.tools.lookup(exposed) }

// ToolAlias returns the other name of an exposed tool: the prefixed alias of a tool listed
// under its original name (naming mode auto), or that listed name for the alias; "" when
// the tool goes by one name only.
func (t *Table) ToolAlias(exposed string) string { a, _ := t.st.tools.alias.Get(exposed); return a }

// Prompt resolves an exposed prompt name, listed or alias.
func (t *Table) Prompt(exposed string) (Target, bool) { return t.st.prompts.lookup(exposed) }

// Resource resolves a URI a client reads or subscribes to: a prefixed URI of a ready
// backend (listed or not, such as one expanded from a template), an auto-mode URI listed
// verbatim, or a concrete URI matching an auto-mode template listed verbatim.
func (t *Table) Resource(uri string) (Target, bool) {
	if p, orig, ok := mcp.SplitURI(uri); ok {
		b, ok := t.st.res.px.owner.Get(p)
		return Target{Agent: b.Agent, Backend: b.Backend, Name: orig}, ok
	}
	return t.st.res.verbatim(uri)
}

// ResourceTemplate resolves the URI template (or URI) of a completion/complete
// ref/resource reference.
func (t *Table) ResourceTemplate(uriTemplate string) (Target, bool) {
	if p, orig, ok := mcp.SplitURI(uriTemplate); ok {
		b, ok := t.st.res.px.owner.Get(p)
		return Target{Agent: b.Agent, Backend: b.Backend, Name: orig}, ok
	}
	if tg, ok := t.st.res.tmpls.verb.Get(uriTemplate); ok {
		return tg, true
	}
	return t.st.res.uris.verb.Get(uriTemplate)
}

// ExposeURI returns the form under which clients see an original URI (or template),
// tgt.Name, of tgt's backend, for rewriting resources/read results and resource
// notifications: verbatim when the backend is in auto mode and the URI resolves back to
// it unprefixed, prefixed otherwise. Resource(ExposeURI(tgt)) gives tgt back.
func (t *Table) ExposeURI(tgt Target) string {
	prefix, ok := t.st.res.prefixOf(tgt.Agent, tgt.Backend)
	if !ok {
		return mcp.PrefixURI(defaultPrefix(tgt.Agent, tgt.Backend), tgt.Name)
	}
	info, _ := t.st.backends.Get(backendKey{tgt.Agent, tgt.Backend})
	if info.Naming == namingAuto && !strings.HasPrefix(tgt.Name, mcp.URIScheme) {
		if got, ok := t.st.res.verbatim(tgt.Name); ok && got.Agent == tgt.Agent && got.Backend == tgt.Backend {
			return tgt.Name
		}
	}
	return mcp.PrefixURI(prefix, tgt.Name)
}

// Collisions returns the name collisions, for operators, sorted by kind and name.
func (t *Table) Collisions() []Collision {
	t.collisionsOnce.Do(func() {
		same := func(s string) string { return s }
		res := func(s string) string { return mcp.PrefixURI(s, "") }
		t.collisions = slices.Concat(t.st.prompts.as.collisions("prompt", same),
			t.st.res.px.collisions("resource", res), t.st.tools.as.collisions("tool", same))
	})
	return clip(t.collisions)
}

// Backends returns every known backend, ready or not, sorted by agent and name.
func (t *Table) Backends() []BackendInfo {
	t.backendsOnce.Do(func() { t.backends = t.st.backends.Values() })
	return clip(t.backends)
}

func clip[S ~[]E, E any](s S) S { return s[:len(s):len(s)] }
