package router

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// The reference build: how tables were built before updates became incremental (issue 11),
// one whole build per change. Incremental updates must give exactly what it gives.

// refTable is what refBuild computes.
type refTable struct {
	tools, prompts refNames
	res            refResources
	collisions     []Collision
	backends       []BackendInfo
}

// refResources is the exposed side of resources and resource templates.
type refResources struct {
	list, templates []json.RawMessage
	keys, tmplKeys  []string

	byPrefix map[string]backendKey
	prefixOf map[backendKey]string
	auto     map[backendKey]bool

	autoURIs      map[string]Target
	autoTemplates map[string]Target
	matchers      []matcher

	collisions             []Collision
	counts, templateCounts []int
}

// source is one backend of one agent.
type source struct {
	agent  string
	b      *protocol.Backend
	p      *parsed
	info   *BackendInfo
	naming string // effective mode
}

func (s source) key() backendKey { return backendKey{s.agent, s.b.Name} }
func (s source) auto() bool      { return s.naming == namingAuto }

// build computes a table from every source's backends, with naming as the mode of
// backends that set none, reusing what cache holds and returning the cache to use next.
// The result depends only on the set of (agent, backend) entries, not on map or slice
// order; when a source lists the same backend name twice, the first entry counts.
func refBuild(sources map[string][]protocol.Backend, naming string) *refTable {
	var all []source
	for agent, bs := range sources {
		for i := range bs {
			all = append(all, source{agent: agent, b: &bs[i]})
		}
	}
	slices.SortStableFunc(all, func(x, y source) int {
		return cmp.Or(cmp.Compare(x.agent, y.agent), cmp.Compare(x.b.Name, y.b.Name))
	})
	all = slices.CompactFunc(all, func(x, y source) bool { return x.key() == y.key() })

	t := &refTable{backends: make([]BackendInfo, len(all))}
	var ready []source
	for i, s := range all {
		s.info, s.naming = &t.backends[i], namingPrefixed
		if s.b.Naming == namingAuto || s.b.Naming == "" && naming == namingAuto {
			s.naming = namingAuto
		}
		*s.info = BackendInfo{Agent: s.agent, Backend: s.b.Name, Transport: s.b.Transport,
			Naming: s.naming, State: s.b.State, Error: s.b.Error}
		if s.b.State == protocol.StateReady {
			s.p = parseBackend(s.agent, s.b)
			ready = append(ready, s)
		}
	}
	t.tools = refBuildNames(ready, "tool", func(p *parsed) []entry { return p.tools })
	t.prompts = refBuildNames(ready, "prompt", func(p *parsed) []entry { return p.prompts })
	t.res = refBuildResources(ready)
	t.collisions = slices.Concat(t.tools.collisions, t.prompts.collisions, t.res.collisions)
	slices.SortStableFunc(t.collisions, func(a, b Collision) int { return cmp.Compare(a.Kind, b.Kind) })
	for i, s := range ready {
		s.info.Tools, s.info.Prompts = t.tools.counts[i], t.prompts.counts[i]
		s.info.Resources, s.info.ResourceTemplates = t.res.counts[i], t.res.templateCounts[i]
		s.info.Skipped = s.p.skipped
		s.info.Prefix = t.res.prefixOf[s.key()]
	}
	return t
}

// names is the exposed list and index of one kind of named item (tools or prompts).
type refNames struct {
	list       []json.RawMessage
	keys       []string          // list's names, for paging
	index      map[string]Target // listed names and aliases
	alias      map[string]string // an auto-mode item's listed original name ↔ its prefixed alias
	collisions []Collision
	counts     []int // per ready backend: listed items
}

type namedItem struct {
	tgt     Target
	e       *entry
	src     int // index into ready
	auto    bool
	exposed string
}

// collect lists the entries of every ready backend, in target order.
func collect(ready []source, list func(*parsed) []entry) []namedItem {
	total := 0
	for _, s := range ready {
		total += len(list(s.p))
	}
	out := make([]namedItem, 0, total)
	for i, s := range ready {
		es := list(s.p)
		for j := range es {
			out = append(out, namedItem{tgt: Target{s.agent, s.b.Name, es[j].name}, e: &es[j], src: i, auto: s.auto()})
		}
	}
	return out
}

func refBuildNames(ready []source, kind string, list func(*parsed) []entry) refNames {
	n := refNames{counts: make([]int, len(ready))}
	all := collect(ready, list)
	canon := make([]string, len(all))
	for i := range all {
		canon[i] = all[i].e.canon
	}
	assigned, collisions := assign(canon, func(i int) Target { return all[i].tgt }, kind)
	n.collisions = collisions
	n.index = make(map[string]Target, len(all))
	for i := range all {
		all[i].exposed = assigned[i]
		n.index[assigned[i]] = all[i].tgt
	}
	n.alias = exposeOriginals(all, n.index)
	n.list, n.keys = expose(all, "name", n.counts)
	return n
}

// exposeOriginals gives auto-mode items their original name where it is valid, used by
// no other item and not taken in index; the prefixed name stays in index as an alias. It
// returns the pairs of names (both ways) of the items it renamed.
func exposeOriginals(all []namedItem, index map[string]Target) map[string]string {
	var uses map[string]int
	for _, it := range all {
		if it.auto && mcp.ValidName(it.tgt.Name) {
			if uses == nil {
				uses = make(map[string]int, len(all))
			}
			uses[it.tgt.Name] = 0
		}
	}
	if len(uses) == 0 {
		return nil
	}
	for _, it := range all {
		if c, ok := uses[it.tgt.Name]; ok {
			uses[it.tgt.Name] = c + 1
		}
	}
	var alias map[string]string
	for i, it := range all {
		if _, taken := index[it.tgt.Name]; it.auto && uses[it.tgt.Name] == 1 && !taken {
			if alias == nil {
				alias = make(map[string]string)
			}
			alias[it.tgt.Name], alias[all[i].exposed] = all[i].exposed, it.tgt.Name
			all[i].exposed = it.tgt.Name
			index[it.tgt.Name] = it.tgt
		}
	}
	return alias
}

// expose rewrites field of each item to its exposed name and sorts the list by it; keys are
// the exposed names, in the list's order.
func expose(all []namedItem, field string, counts []int) ([]json.RawMessage, []string) {
	order := make([]int32, len(all)) // sorting indices spares moving the items around
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(all[a].exposed, all[b].exposed) })
	list := make([]json.RawMessage, 0, len(all))
	keys := make([]string, 0, len(all))
	for _, i := range order {
		it := &all[i]
		if raw := it.e.rewrite(field, it.exposed); raw != nil {
			list = append(list, raw)
			keys = append(keys, it.exposed)
			counts[it.src]++
		}
	}
	return list, keys
}
func refBuildResources(ready []source) refResources {
	r := refResources{
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
	r.matchers = refCompileMatchers(tmpl)
	return r
}

// exposeURIs sets each item's exposed URI: verbatim for an auto-mode backend when no other
// ready backend lists the same URI and it is not itself a gateway URI, prefixed otherwise.
// It returns the verbatim ones.
func (r *refResources) exposeURIs(items []namedItem, ready []source) map[string]Target {
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
func (r *refResources) verbatim(uri string) (Target, bool) {
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
func refCompileMatchers(templates []namedItem) []matcher {
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

// The reference's lookups, as the whole-build Table answered them.

func (t *refTable) resource(uri string) (Target, bool) {
	if p, orig, ok := mcp.SplitURI(uri); ok {
		k, ok := t.res.byPrefix[p]
		return Target{Agent: k.agent, Backend: k.backend, Name: orig}, ok
	}
	return t.res.verbatim(uri)
}

func (t *refTable) resourceTemplate(uriTemplate string) (Target, bool) {
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

func (t *refTable) exposeURI(tgt Target) string {
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
