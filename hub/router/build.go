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
// backends that set none. The result depends only on the set of (agent, backend)
// entries, not on map or slice order; when a source lists the same backend name twice,
// the first entry counts.
func build(sources map[string][]protocol.Backend, naming string) *Table {
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
	var ready []source
	for i, s := range all {
		s.info, s.naming = &t.backends[i], namingPrefixed
		if s.b.Naming == namingAuto || s.b.Naming == "" && naming == namingAuto {
			s.naming = namingAuto
		}
		*s.info = BackendInfo{Agent: s.agent, Backend: s.b.Name, Transport: s.b.Transport,
			Naming: s.naming, State: s.b.State, Error: s.b.Error}
		if s.b.State == protocol.StateReady {
			ready = append(ready, s)
		}
	}
	t.tools = buildNames(ready, "tool", func(b *protocol.Backend) []json.RawMessage { return b.Tools })
	t.prompts = buildNames(ready, "prompt", func(b *protocol.Backend) []json.RawMessage { return b.Prompts })
	t.res = buildResources(ready)
	t.collisions = slices.Concat(t.tools.collisions, t.prompts.collisions, t.res.collisions)
	slices.SortStableFunc(t.collisions, func(a, b Collision) int { return cmp.Compare(a.Kind, b.Kind) })
	for i, s := range ready {
		s.info.Tools, s.info.Prompts = t.tools.counts[i], t.prompts.counts[i]
		s.info.Resources, s.info.ResourceTemplates = t.res.counts[i], t.res.templateCounts[i]
		s.info.Skipped = t.tools.skipped[i] + t.prompts.skipped[i] + t.res.skipped[i]
		s.info.Prefix = t.res.prefixOf[s.key()]
	}
	return t
}

// names is the exposed list and index of one kind of named item (tools or prompts).
type names struct {
	list       []json.RawMessage
	index      map[string]Target // listed names and aliases
	collisions []Collision
	counts     []int // per ready backend: listed items
	skipped    []int // per ready backend: items left out
}

type namedItem struct {
	tgt     Target
	raw     json.RawMessage
	src     int // index into ready
	auto    bool
	exposed string
}

// collect reads the items of every ready backend under field ("name", "uri" or
// "uriTemplate"), dropping malformed ones and repeats within a backend (the first one
// listed counts). The result is in target order.
func collect(ready []source, field string, items func(*protocol.Backend) []json.RawMessage, skipped []int) []namedItem {
	type entry struct {
		name string
		raw  json.RawMessage
	}
	var out []namedItem
	var buf []entry
	for i, s := range ready {
		buf = buf[:0]
		for _, raw := range items(s.b) {
			name, ok := mcp.StringField(raw, field)
			if !ok || name == "" || !mcp.Valid(raw) {
				skipped[i]++
				continue
			}
			buf = append(buf, entry{name, raw})
		}
		slices.SortStableFunc(buf, func(a, b entry) int { return cmp.Compare(a.name, b.name) })
		for j, e := range buf {
			if j > 0 && e.name == buf[j-1].name {
				skipped[i]++
				continue
			}
			out = append(out, namedItem{tgt: Target{s.agent, s.b.Name, e.name}, raw: e.raw, src: i, auto: s.auto()})
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

func buildNames(ready []source, kind string, items func(*protocol.Backend) []json.RawMessage) names {
	n := names{counts: make([]int, len(ready)), skipped: make([]int, len(ready))}
	all := collect(ready, "name", items, n.skipped)
	canon := make([]string, len(all))
	for i := range all {
		canon[i] = prefixedName(all[i].tgt)
	}
	assigned, collisions := assign(canon, func(i int) Target { return all[i].tgt }, kind)
	n.collisions = collisions
	n.index = make(map[string]Target, len(all)+len(all)/4)
	for i := range all {
		all[i].exposed = assigned[i]
		n.index[assigned[i]] = all[i].tgt
	}
	uses := make(map[string]int, len(all))
	for _, it := range all {
		uses[it.tgt.Name]++
	}
	for i, it := range all {
		if _, taken := n.index[it.tgt.Name]; it.auto && uses[it.tgt.Name] == 1 && mcp.ValidName(it.tgt.Name) && !taken {
			all[i].exposed = it.tgt.Name // the prefixed name stays in the index as an alias
			n.index[it.tgt.Name] = it.tgt
		}
	}
	n.list = expose(all, "name", n.counts)
	return n
}

// assign gives each canonical name (in target order) a unique exposed name: the first
// target keeps it, later ones get a hashed variant; every shared name is a Collision.
func assign(canon []string, target func(int) Target, kind string) ([]string, []Collision) {
	out := make([]string, len(canon))
	taken := make(map[string]bool, len(canon))
	first := make(map[string]int, len(canon))
	var losers []int
	for i, c := range canon {
		if taken[c] {
			losers = append(losers, i)
			continue
		}
		taken[c], first[c], out[i] = true, i, c
	}
	var collisions []Collision
	byName := make(map[string]int) // canonical name → index in collisions
	for _, i := range losers {
		tgt := target(i)
		key := tgt.Agent + "\x00" + tgt.Backend + "\x00" + tgt.Name
		v := mcp.Disambiguate(canon[i], key)
		for n := 1; taken[v]; n++ {
			v = mcp.Disambiguate(canon[i], key+"\x00"+strconv.Itoa(n))
		}
		taken[v], out[i] = true, v
		ci, ok := byName[canon[i]]
		if !ok {
			ci = len(collisions)
			byName[canon[i]] = ci
			f := first[canon[i]]
			collisions = append(collisions, Collision{Kind: kind, Exposed: canon[i],
				Targets: []Target{target(f)}, Names: []string{canon[i]}})
		}
		collisions[ci].Targets = append(collisions[ci].Targets, tgt)
		collisions[ci].Names = append(collisions[ci].Names, v)
	}
	slices.SortFunc(collisions, func(a, b Collision) int { return cmp.Compare(a.Exposed, b.Exposed) })
	return out, collisions
}

// expose rewrites field of each item to its exposed name and sorts the list by it.
func expose(all []namedItem, field string, counts []int) []json.RawMessage {
	order := make([]int32, len(all)) // sorting indices spares moving the items around
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(all[a].exposed, all[b].exposed) })
	list := make([]json.RawMessage, 0, len(all))
	for _, i := range order {
		it := &all[i]
		raw := it.raw
		if it.exposed != it.tgt.Name {
			var err error
			if raw, err = mcp.SetStringField(raw, field, it.exposed); err != nil {
				continue // unreachable: collect kept valid objects only
			}
		}
		list = append(list, raw)
		counts[it.src]++
	}
	return list
}
