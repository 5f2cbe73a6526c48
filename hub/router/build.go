package router

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

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

const (
	namingAuto     = "auto"
	namingPrefixed = "prefixed"
)

// build computes a table from every source's backends, with naming as the mode of
// backends that set none, reusing what cache holds and returning the cache to use next.
// The result depends only on the set of (agent, backend) entries, not on map or slice
// order; when a source lists the same backend name twice, the first entry counts.
func build(sources map[string][]protocol.Backend, naming string, cache parseCache) (*Table, parseCache) {
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

	t := &Table{backends: make([]BackendInfo, len(all))}
	next := make(parseCache, len(all))
	var ready []source
	for i, s := range all {
		s.info, s.naming = &t.backends[i], namingPrefixed
		if s.b.Naming == namingAuto || s.b.Naming == "" && naming == namingAuto {
			s.naming = namingAuto
		}
		*s.info = BackendInfo{Agent: s.agent, Backend: s.b.Name, Transport: s.b.Transport,
			Naming: s.naming, State: s.b.State, Error: s.b.Error}
		if s.b.State == protocol.StateReady {
			s.p = cache.get(next, s.agent, s.b)
			ready = append(ready, s)
		}
	}
	t.tools = buildNames(ready, "tool", func(p *parsed) []entry { return p.tools })
	t.prompts = buildNames(ready, "prompt", func(p *parsed) []entry { return p.prompts })
	t.res = buildResources(ready)
	t.collisions = slices.Concat(t.tools.collisions, t.prompts.collisions, t.res.collisions)
	slices.SortStableFunc(t.collisions, func(a, b Collision) int { return cmp.Compare(a.Kind, b.Kind) })
	for i, s := range ready {
		s.info.Tools, s.info.Prompts = t.tools.counts[i], t.prompts.counts[i]
		s.info.Resources, s.info.ResourceTemplates = t.res.counts[i], t.res.templateCounts[i]
		s.info.Skipped = s.p.skipped
		s.info.Prefix = t.res.prefixOf[s.key()]
	}
	return t, next
}

// names is the exposed list and index of one kind of named item (tools or prompts).
type names struct {
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

func prefixedName(tgt Target) string {
	if tgt.Agent == "" {
		return mcp.Join(tgt.Backend, tgt.Name)
	}
	return mcp.Join(tgt.Agent, tgt.Backend, tgt.Name)
}

func buildNames(ready []source, kind string, list func(*parsed) []entry) names {
	n := names{counts: make([]int, len(ready))}
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

// assign gives each canonical name (in target order) a unique exposed name: the first
// target keeps it, later ones get a hashed variant; every shared name is a Collision.
func assign(canon []string, target func(int) Target, kind string) ([]string, []Collision) {
	out := make([]string, len(canon))
	owner := make(map[string]int, len(canon)) // exposed name → index of its target
	var losers []int
	for i, c := range canon {
		if _, taken := owner[c]; taken {
			losers = append(losers, i)
			continue
		}
		owner[c], out[i] = i, c
	}
	var collisions []Collision
	byName := make(map[string]int) // canonical name → index in collisions
	for _, i := range losers {
		tgt := target(i)
		key := tgt.Agent + "\x00" + tgt.Backend + "\x00" + tgt.Name
		v := mcp.Disambiguate(canon[i], key)
		for n := 1; hasKey(owner, v); n++ {
			v = mcp.Disambiguate(canon[i], key+"\x00"+strconv.Itoa(n))
		}
		owner[v], out[i] = i, v
		ci, ok := byName[canon[i]]
		if !ok {
			ci = len(collisions)
			byName[canon[i]] = ci
			collisions = append(collisions, Collision{Kind: kind, Exposed: canon[i],
				Targets: []Target{target(owner[canon[i]])}, Names: []string{canon[i]}})
		}
		collisions[ci].Targets = append(collisions[ci].Targets, tgt)
		collisions[ci].Names = append(collisions[ci].Names, v)
	}
	slices.SortFunc(collisions, func(a, b Collision) int { return cmp.Compare(a.Exposed, b.Exposed) })
	return out, collisions
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
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
		if raw, ok := it.e.rewritten(field, it.exposed); ok {
			list = append(list, raw)
			keys = append(keys, it.exposed)
			counts[it.src]++
		}
	}
	return list, keys
}
