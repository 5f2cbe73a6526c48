package router

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// src is one backend of one source, as the router keeps it.
type src struct {
	agent  string
	b      *protocol.Backend
	p      *parsed // nil unless ready
	naming string  // effective mode
}

func (s src) ready() bool     { return s.p != nil }
func (s src) key() backendKey { return backendKey{s.agent, s.b.Name} }
func (s src) auto() bool      { return s.naming == namingAuto }
func (s src) backend() Target { return Target{Agent: s.agent, Backend: s.b.Name} }
func (s src) prefix() named   { return named{s.backend(), defaultPrefix(s.agent, s.b.Name)} }
func (s src) target(name string) Target {
	return Target{Agent: s.agent, Backend: s.b.Name, Name: name}
}

const (
	namingAuto     = "auto"
	namingPrefixed = "prefixed"
)

// sourcesOf returns what Set keeps of one source's backends: the first of each name, in
// name order, parsed when ready, with naming as the mode of those that set none.
func sourcesOf(agent string, bs []protocol.Backend, naming string) []src {
	bs = slices.Clone(bs)
	slices.SortStableFunc(bs, func(x, y protocol.Backend) int { return cmp.Compare(x.Name, y.Name) })
	bs = slices.CompactFunc(bs, func(x, y protocol.Backend) bool { return x.Name == y.Name })
	out := make([]src, len(bs))
	for i := range bs {
		s := src{agent: agent, b: &bs[i], naming: namingPrefixed}
		if s.b.Naming == namingAuto || s.b.Naming == "" && naming == namingAuto {
			s.naming = namingAuto
		}
		if s.b.State == protocol.StateReady {
			s.p = parseBackend(agent, s.b)
		}
		out[i] = s
	}
	return out
}

// state is everything a table exposes, in persistent maps: an update copies only what it
// changes, so each published Table keeps its own version at O(changed · log n) per update.
type state struct {
	tools, prompts names
	res            resources
	backends       ptree[backendKey, BackendInfo]
}

func cmpBackendKey(a, b backendKey) int {
	return cmp.Or(cmp.Compare(a.agent, b.agent), cmp.Compare(a.backend, b.backend))
}

func newState() state {
	return state{tools: newNames(), prompts: newNames(), res: newResources(),
		backends: newTree[backendKey, BackendInfo](cmpBackendKey)}
}

// touched is the listed keys an update made appear, go or change, per list; all means
// every key (a full build).
type touched struct {
	tools, prompts, res, tmpls map[string]struct{}
	all                        bool
}

func newTouched() touched {
	return touched{tools: map[string]struct{}{}, prompts: map[string]struct{}{},
		res: map[string]struct{}{}, tmpls: map[string]struct{}{}}
}

// apply replaces the backends gone with those added (typically all of one source's). With
// full, st is empty and added is every source's backends: names are given by the reference
// rules in one pass. It returns false when an incremental update cannot be exact (see
// assigner): st is then unusable and must be built again with full.
func (st *state) apply(gone, added []src, full bool, tk *touched) bool {
	var goneTools, gonePrompts, goneRes, goneTmpls []Target
	var goneB []named
	for _, s := range gone {
		st.backends = st.backends.Delete(s.key())
		if !s.ready() {
			continue
		}
		goneB = append(goneB, s.prefix())
		for _, e := range s.p.tools {
			goneTools = append(goneTools, s.target(e.name))
		}
		for _, e := range s.p.prompts {
			gonePrompts = append(gonePrompts, s.target(e.name))
		}
		for _, e := range s.p.resources {
			goneRes = append(goneRes, s.target(e.name))
		}
		for _, e := range s.p.templates {
			goneTmpls = append(goneTmpls, s.target(e.name))
		}
	}
	var addTools, addPrompts []*item
	var addRes, addTmpls []*uriItem
	var addB []named
	for _, s := range added {
		if !s.ready() {
			continue
		}
		addB = append(addB, s.prefix())
		for i := range s.p.tools {
			e := &s.p.tools[i]
			addTools = append(addTools, &item{tgt: s.target(e.name), e: e, auto: s.auto()})
		}
		for i := range s.p.prompts {
			e := &s.p.prompts[i]
			addPrompts = append(addPrompts, &item{tgt: s.target(e.name), e: e, auto: s.auto()})
		}
		for i := range s.p.resources {
			e := &s.p.resources[i]
			addRes = append(addRes, &uriItem{tgt: s.target(e.name), e: e, auto: s.auto()})
		}
		for i := range s.p.templates {
			e := &s.p.templates[i]
			addTmpls = append(addTmpls, &uriItem{tgt: s.target(e.name), e: e, auto: s.auto()})
		}
	}
	if !st.tools.apply(goneTools, addTools, full, tk.tools) || !st.prompts.apply(gonePrompts, addPrompts, full, tk.prompts) {
		return false
	}
	moved, ok := st.res.apply(goneB, addB,
		uriChange{gone: goneRes, added: addRes, touched: tk.res},
		uriChange{gone: goneTmpls, added: addTmpls, touched: tk.tmpls}, full)
	if !ok {
		return false
	}
	for _, s := range added {
		info := BackendInfo{Agent: s.agent, Backend: s.b.Name, Transport: s.b.Transport,
			Naming: s.naming, State: s.b.State, Error: s.b.Error,
			Restarts: s.b.Restarts, LastRestart: s.b.LastRestart, LastError: s.b.LastError}
		if s.ready() {
			info.Tools, info.Prompts = len(s.p.tools), len(s.p.prompts)
			info.Resources, info.ResourceTemplates = len(s.p.resources), len(s.p.templates)
			info.Skipped = s.p.skipped
			info.Prefix, _ = st.res.prefixOf(s.agent, s.b.Name)
		}
		st.backends = st.backends.Set(s.key(), info)
	}
	for b := range moved { // other backends whose prefix changed
		k := backendKey{b.Agent, b.Backend}
		if info, ok := st.backends.Get(k); ok {
			info.Prefix, _ = st.res.prefixOf(b.Agent, b.Backend)
			st.backends = st.backends.Set(k, info)
		}
	}
	return true
}

// build computes the state of every source from scratch, by the reference rules.
func build(sources map[string][]src) state {
	var all []src
	for _, ss := range sources {
		all = append(all, ss...)
	}
	slices.SortFunc(all, func(x, y src) int { return cmpBackendKey(x.key(), y.key()) })
	st := newState()
	tk := newTouched()
	st.apply(nil, all, true, &tk)
	return st
}

// diff reports which exposed lists differ between two tables, looking at the keys touched
// since a was published.
func diff(a, b *Table, tk *touched) Changes {
	if tk.all {
		return Changes{
			Tools:     !sameList(a.Tools(), b.Tools()),
			Resources: !sameList(a.Resources(), b.Resources()) || !sameList(a.ResourceTemplates(), b.ResourceTemplates()),
			Prompts:   !sameList(a.Prompts(), b.Prompts()),
		}
	}
	return Changes{
		Tools:   changedKeys(a.st.tools.listed, b.st.tools.listed, tk.tools, func(it *item) json.RawMessage { return it.raw }),
		Prompts: changedKeys(a.st.prompts.listed, b.st.prompts.listed, tk.prompts, func(it *item) json.RawMessage { return it.raw }),
		Resources: changedKeys(a.st.res.uris.listed, b.st.res.uris.listed, tk.res, func(it *uriItem) json.RawMessage { return it.raw }) ||
			changedKeys(a.st.res.tmpls.listed, b.st.res.tmpls.listed, tk.tmpls, func(it *uriItem) json.RawMessage { return it.raw }),
	}
}

func changedKeys[V any](a, b ptree[string, V], keys map[string]struct{}, raw func(V) json.RawMessage) bool {
	for k := range keys {
		x, okx := a.Get(k)
		y, oky := b.Get(k)
		if okx != oky || okx && !bytes.Equal(raw(x), raw(y)) {
			return true
		}
	}
	return false
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
