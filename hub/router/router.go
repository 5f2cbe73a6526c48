// Package router maps the names the hub exposes (tools, prompts, resource URIs) to the
// agent, backend and original name behind them, from the backends' snapshots; the naming
// rules are in docs/NAMING.md.
package router

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Changes says which exposed lists differ from the previous table, so that list_changed
// notifications go out only on real changes.
type Changes struct {
	Tools     bool
	Resources bool // resources or resource templates
	Prompts   bool
}

// Any reports whether any list changed.
func (c Changes) Any() bool { return c.Tools || c.Resources || c.Prompts }

// Router holds the backends of every source (the hub itself and each agent) and publishes
// an immutable Table after each change. Lookups go through Table and never lock.
//
// A change is built into a new table at once while there are fewer than CoalesceFrom
// sources, or when the last build ended long enough ago. Otherwise, in a burst of changes
// to a large table (many agents connecting), the changes are coalesced: the next table is
// built once the time of the last build (at most MaxCoalesce) has passed since it ended,
// and holds every change made meanwhile, so that builds take at most about half of a core.
// Readers always see a whole table; onChange is called once per table built.
type Router struct {
	onChange func(Changes)

	mu           sync.Mutex // guards what follows up to buildMu; readers use table
	sources      map[string][]protocol.Backend
	naming       string // default naming mode
	pending      bool   // sources or naming changed since the last build took them
	scheduled    bool   // a coalesced build is due (timer set)
	lastEnd      time.Time
	lastTook     time.Duration
	coalesceFrom int // CoalesceFrom; tests lower it

	buildMu sync.Mutex // serializes builds
	cache   parseCache // what the last build parsed, per backend; under buildMu
	table   atomic.Pointer[Table]
}

const (
	// CoalesceFrom is the number of sources (agents, and the hub) from which changes may be
	// coalesced; below it each change is built at once, before Set or Remove returns.
	CoalesceFrom = 100
	// MaxCoalesce is the longest a change waits for the table that holds it.
	MaxCoalesce = 200 * time.Millisecond
)

// New returns an empty router. onChange, when not nil, is called after a build that
// changed an exposed list, outside the router's locks; calls from concurrent builds may
// overlap, so it should only signal (say, on a channel) and read Table afresh.
func New(onChange func(Changes)) *Router {
	r := &Router{onChange: onChange, sources: make(map[string][]protocol.Backend), coalesceFrom: CoalesceFrom}
	t, _ := build(nil, "", nil)
	r.table.Store(t)
	return r
}

// SetDefaultNaming sets the naming mode ("auto" or "prefixed", the default) of backends
// that do not choose one themselves: the hub-wide naming setting.
func (r *Router) SetDefaultNaming(mode string) {
	r.update(func() { r.naming = mode })
}

// Set replaces everything published by one source: agent "" is the hub's own backends.
// Only backends in state "ready" contribute names. The router keeps the backends'
// raw JSON: callers must not modify it afterwards. Set with no backends is Remove.
// The change is in Table when Set returns, unless it is coalesced (see Router): then it is
// within MaxCoalesce, or at Sync.
func (r *Router) Set(agent string, backends []protocol.Backend) {
	r.update(func() {
		if len(backends) == 0 {
			delete(r.sources, agent)
			return
		}
		r.sources[agent] = slices.Clone(backends)
	})
}

// Remove drops everything published by one source, such as an agent that disconnected.
func (r *Router) Remove(agent string) {
	r.update(func() { delete(r.sources, agent) })
}

// Table returns the current table: one atomic load, for the per-call path.
func (r *Router) Table() *Table {
	return r.table.Load()
}

// Sync builds the changes not yet in Table, if any, and returns when Table holds them.
func (r *Router) Sync() { r.flush() }

func (r *Router) update(mutate func()) {
	r.mu.Lock()
	mutate()
	r.pending = true
	if r.scheduled { // the coming build takes this change too
		r.mu.Unlock()
		return
	}
	if wait := r.gap(); wait > 0 {
		r.scheduled = true
		time.AfterFunc(wait, r.flush)
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	r.flush()
}

// gap is how long a change made now waits before it is built: zero for a small table or
// when the last build ended long enough ago. r.mu is held.
func (r *Router) gap() time.Duration {
	if len(r.sources) < r.coalesceFrom {
		return 0
	}
	return time.Until(r.lastEnd.Add(min(r.lastTook, MaxCoalesce)))
}

// flush builds a table from the current sources if they changed since the last build.
func (r *Router) flush() {
	r.buildMu.Lock()
	r.mu.Lock()
	r.scheduled = false
	if !r.pending {
		r.mu.Unlock()
		r.buildMu.Unlock()
		return
	}
	r.pending = false
	sources := maps.Clone(r.sources) // the slices are never modified, only replaced
	naming := r.naming
	r.mu.Unlock()

	began := time.Now()
	old := r.table.Load()
	var t *Table
	t, r.cache = build(sources, naming, r.cache)
	r.table.Store(t)
	ch := diff(old, t)
	end := time.Now()
	r.mu.Lock()
	r.lastEnd, r.lastTook = end, end.Sub(began)
	r.mu.Unlock()
	r.buildMu.Unlock()
	if ch.Any() && r.onChange != nil {
		r.onChange(ch)
	}
}
