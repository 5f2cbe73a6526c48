package router

import (
	"bytes"
	"encoding/json"
	"strings"

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

	// Exposed counts, zero unless ready.
	Tools, Resources, ResourceTemplates, Prompts int
	// Skipped counts items left out: not a JSON object, no name or URI, or a repeat.
	Skipped int
}

type backendKey struct{ agent, backend string }

// Table is an immutable snapshot of the exposed names, safe for concurrent use. The slices
// it returns are shared: callers must not modify them.
type Table struct {
	tools, prompts names
	res            resources
	collisions     []Collision
	backends       []BackendInfo
}

// Tools returns the exposed tools, sorted by name: each backend's raw JSON object with only
// "name" rewritten.
func (t *Table) Tools() []json.RawMessage { return clip(t.tools.list) }

// Prompts returns the exposed prompts, sorted by name, with only "name" rewritten.
func (t *Table) Prompts() []json.RawMessage { return clip(t.prompts.list) }

// Resources returns the exposed resources, sorted by URI, with only "uri" rewritten.
func (t *Table) Resources() []json.RawMessage { return clip(t.res.list) }

// ResourceTemplates returns the exposed templates, sorted by template, with only
// "uriTemplate" rewritten.
func (t *Table) ResourceTemplates() []json.RawMessage { return clip(t.res.templates) }

// ToolList is Tools with their names, for List.Page.
func (t *Table) ToolList() List { return List{Items: t.Tools(), Keys: clip(t.tools.keys)} }

// PromptList is Prompts with their names, for List.Page.
func (t *Table) PromptList() List { return List{Items: t.Prompts(), Keys: clip(t.prompts.keys)} }

// ResourceList is Resources with their URIs, for List.Page.
func (t *Table) ResourceList() List { return List{Items: t.Resources(), Keys: clip(t.res.keys)} }

// ResourceTemplateList is ResourceTemplates with their templates, for List.Page.
func (t *Table) ResourceTemplateList() List {
	return List{Items: t.ResourceTemplates(), Keys: clip(t.res.tmplKeys)}
}

// Tool resolves an exposed tool name, listed or alias.
func (t *Table) Tool(exposed string) (Target, bool) {
	tg, ok := t.tools.index[exposed]
	return tg, ok
}

// ToolAlias returns the other name of an exposed tool: the prefixed alias of a tool listed
// under its original name (naming mode auto), or that listed name for the alias; "" when
// the tool goes by one name only.
func (t *Table) ToolAlias(exposed string) string { return t.tools.alias[exposed] }

// Prompt resolves an exposed prompt name, listed or alias.
func (t *Table) Prompt(exposed string) (Target, bool) {
	tg, ok := t.prompts.index[exposed]
	return tg, ok
}

// Resource resolves a URI a client reads or subscribes to: a prefixed URI of a ready
// backend (listed or not, such as one expanded from a template), an auto-mode URI listed
// verbatim, or a concrete URI matching an auto-mode template listed verbatim.
func (t *Table) Resource(uri string) (Target, bool) {
	if p, orig, ok := mcp.SplitURI(uri); ok {
		k, ok := t.res.byPrefix[p]
		return Target{Agent: k.agent, Backend: k.backend, Name: orig}, ok
	}
	return t.res.verbatim(uri)
}

// ResourceTemplate resolves the URI template (or URI) of a completion/complete
// ref/resource reference.
func (t *Table) ResourceTemplate(uriTemplate string) (Target, bool) {
	if p, orig, ok := mcp.SplitURI(uriTemplate); ok {
		k, ok := t.res.byPrefix[p]
		return Target{Agent: k.agent, Backend: k.backend, Name: orig}, ok
	}
	if tg, ok := t.res.autoTemplates[uriTemplate]; ok {
		return tg, true
	}
	tg, ok := t.res.autoURIs[uriTemplate]
	return tg, ok
}

// ExposeURI returns the form under which clients see an original URI (or template),
// tgt.Name, of tgt's backend, for rewriting resources/read results and resource
// notifications: verbatim when the backend is in auto mode and the URI resolves back to
// it unprefixed, prefixed otherwise. Resource(ExposeURI(tgt)) gives tgt back.
func (t *Table) ExposeURI(tgt Target) string {
	k := backendKey{tgt.Agent, tgt.Backend}
	prefix, ok := t.res.prefixOf[k]
	if !ok {
		return mcp.PrefixURI(defaultPrefix(tgt.Agent, tgt.Backend), tgt.Name)
	}
	if t.res.auto[k] && !strings.HasPrefix(tgt.Name, mcp.URIScheme) {
		if got, ok := t.res.verbatim(tgt.Name); ok && got.Agent == tgt.Agent && got.Backend == tgt.Backend {
			return tgt.Name
		}
	}
	return mcp.PrefixURI(prefix, tgt.Name)
}

// Collisions returns the name collisions, for operators, sorted by kind and name.
func (t *Table) Collisions() []Collision { return clip(t.collisions) }

// Backends returns every known backend, ready or not, sorted by agent and name.
func (t *Table) Backends() []BackendInfo { return clip(t.backends) }

func clip[S ~[]E, E any](s S) S { return s[:len(s):len(s)] }

// diff reports which exposed lists differ between two tables.
func diff(a, b *Table) Changes {
	return Changes{
		Tools:     !sameList(a.tools.list, b.tools.list),
		Resources: !sameList(a.res.list, b.res.list) || !sameList(a.res.templates, b.res.templates),
		Prompts:   !sameList(a.prompts.list, b.prompts.list),
	}
}

func sameList(a, b []json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
