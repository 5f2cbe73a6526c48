package router

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// resources is the exposed side of resources and resource templates.
type resources struct {
	list, templates []json.RawMessage
	keys, tmplKeys  []string // the lists' URIs and templates, for paging

	byPrefix map[string]backendKey // URI prefix → backend, for every ready backend
	prefixOf map[backendKey]string
	auto     map[backendKey]bool

	autoURIs      map[string]Target // URIs listed verbatim
	autoTemplates map[string]Target // templates listed verbatim
	matchers      []matcher         // the same templates, most specific first

	collisions             []Collision
	counts, templateCounts []int // per ready backend
}

// defaultPrefix is the URI prefix of a backend before collisions are resolved.
func defaultPrefix(agent, backend string) string {
	p := mcp.Join(backend)
	if agent != "" {
		p = mcp.Join(agent, backend)
	}
	if p == "" {
		return "_"
	}
	return p
}

func buildResources(ready []source) resources {
	r := resources{
		byPrefix: make(map[string]backendKey, len(ready)),
		prefixOf: make(map[backendKey]string, len(ready)),
		auto:     make(map[backendKey]bool),
		counts:   make([]int, len(ready)), templateCounts: make([]int, len(ready)),
	}
	canon := make([]string, len(ready))
	for i, s := range ready {
		canon[i] = defaultPrefix(s.agent, s.b.Name)
	}
	prefixes, collisions := assign(canon, func(i int) Target {
		return Target{Agent: ready[i].agent, Backend: ready[i].b.Name}
	}, "resource")
	for i := range collisions {
		collisions[i].Exposed = mcp.PrefixURI(collisions[i].Exposed, "")
		for j, n := range collisions[i].Names {
			collisions[i].Names[j] = mcp.PrefixURI(n, "")
		}
	}
	r.collisions = collisions
	for i, s := range ready {
		r.byPrefix[prefixes[i]], r.prefixOf[s.key()] = s.key(), prefixes[i]
		if s.auto() {
			r.auto[s.key()] = true
		}
	}
	res := collect(ready, func(p *parsed) []entry { return p.resources })
	r.autoURIs = r.exposeURIs(res, ready)
	r.list, r.keys = expose(res, "uri", r.counts)
	tmpl := collect(ready, func(p *parsed) []entry { return p.templates })
	r.autoTemplates = r.exposeURIs(tmpl, ready)
	r.templates, r.tmplKeys = expose(tmpl, "uriTemplate", r.templateCounts)
	r.matchers = compileMatchers(tmpl)
	return r
}

// exposeURIs sets each item's exposed URI: verbatim for an auto-mode backend when no other
// ready backend lists the same URI and it is not itself a gateway URI, prefixed otherwise.
// It returns the verbatim ones.
func (r *resources) exposeURIs(items []namedItem, ready []source) map[string]Target {
	uses := make(map[string]int, len(items))
	for _, it := range items {
		uses[it.tgt.Name]++
	}
	verbatim := make(map[string]Target)
	for i, it := range items {
		u := it.tgt.Name
		if it.auto && uses[u] == 1 && !strings.HasPrefix(u, mcp.URIScheme) {
			items[i].exposed = u
			verbatim[u] = it.tgt
			continue
		}
		items[i].exposed = mcp.PrefixURI(r.prefixOf[ready[it.src].key()], u)
	}
	return verbatim
}

// verbatim resolves an unprefixed URI: listed exactly, or matching a listed template.
func (r *resources) verbatim(uri string) (Target, bool) {
	if tg, ok := r.autoURIs[uri]; ok {
		return tg, true
	}
	if tg, ok := r.autoTemplates[uri]; ok {
		return tg, true
	}
	for _, m := range r.matchers {
		if m.match(uri) {
			return Target{Agent: m.tgt.Agent, Backend: m.tgt.Backend, Name: uri}, true
		}
	}
	return Target{}, false
}

// compileMatchers returns matchers for the templates listed verbatim, most specific
// first: the longest literal head, then the template itself.
func compileMatchers(templates []namedItem) []matcher {
	var ms []matcher
	for _, it := range templates {
		if it.exposed != it.tgt.Name {
			continue
		}
		if m, ok := it.e.template(); ok {
			m.tgt = it.tgt
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b matcher) int {
		return cmp.Or(cmp.Compare(len(b.head), len(a.head)), cmp.Compare(a.tgt.Name, b.tgt.Name))
	})
	return ms
}
