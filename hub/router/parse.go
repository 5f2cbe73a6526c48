package router

import (
	"cmp"
	"encoding/json"
	"slices"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// parsed is what the router needs from one backend alone: its items read, checked and
// sorted, once per Set of its source.
type parsed struct {
	tools, prompts, resources, templates []entry
	skipped                              int // items left out
}

// entry is one valid item of a backend.
type entry struct {
	name  string // original name, URI or URI template
	raw   json.RawMessage
	canon string // prefixed exposed name, for tools and prompts

	compiled *matcher // for a URI template listed verbatim, compiled on first use
	badTmpl  bool     // the template is beyond what matcher supports
}

// template returns the compiled form of a URI template entry.
func (e *entry) template() (matcher, bool) {
	if e.compiled == nil && !e.badTmpl {
		m, ok := compileTemplate(e.name)
		e.compiled, e.badTmpl = &m, !ok
	}
	if e.badTmpl {
		return matcher{}, false
	}
	return *e.compiled, true
}

func parseBackend(agent string, b *protocol.Backend) *parsed {
	p := &parsed{}
	canon := func(name string) string { return prefixedName(Target{agent, b.Name, name}) }
	p.tools = p.parseList(b.Tools, "name", canon)
	p.prompts = p.parseList(b.Prompts, "name", canon)
	p.resources = p.parseList(b.Resources, "uri", nil)
	p.templates = p.parseList(b.ResourceTemplates, "uriTemplate", nil)
	return p
}

// parseList keeps the items that are JSON objects with a non-empty string field, sorted
// by it; of repeated values the first listed counts.
func (p *parsed) parseList(items []json.RawMessage, field string, canon func(string) string) []entry {
	out := make([]entry, 0, len(items))
	for _, raw := range items {
		name, ok := mcp.StringField(raw, field)
		if !ok || name == "" || !mcp.Valid(raw) {
			p.skipped++
			continue
		}
		out = append(out, entry{name: name, raw: raw})
	}
	slices.SortStableFunc(out, func(a, b entry) int { return cmp.Compare(a.name, b.name) })
	n := len(out)
	out = slices.CompactFunc(out, func(a, b entry) bool { return a.name == b.name })
	p.skipped += n - len(out)
	if canon != nil {
		for i := range out {
			out[i].canon = canon(out[i].name)
		}
	}
	return out
}
