// Package router maps the names the hub exposes (tools, prompts, resource URIs) to the
// agent, backend and original name behind them, from the backends' snapshots; the naming
// rules are in docs/NAMING.md.
package router

import (
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
// A change (Set or Remove of one source) updates the routing state in place of that
// source's own entries only: its items leave and enter persistent sorted maps, and only
// the items whose exposed name depends on them (a shared name, a collision) are renamed,
// O(its items · log n) whatever the number of agents. Tables share everything a change does
// not touch.
//
// While there are fewer than CoalesceFrom sources each change is published before Set or
// Remove returns. From CoalesceFrom sources, in a burst of changes (many agents
// connecting), a table is published at most every MaxCoalesce, holding every change made
// meanwhile: what readers build per table (the flat lists, the tools' governance index) is
// then built a few times a second, not once per agent. Readers always see a whole table;
// onChange is called once per table published with changes.
type Router struct {
	onChange func(Changes)

	mu           sync.Mutex // guards what follows up to table; readers use table
	sources      map[string][]src
	naming       string  // default naming mode
	st           state   // every change made, published or not
	tk           touched // listed keys changed since the last table
	full         bool    // st must be built whole (naming changed, or an update could not be exact)
	pending      bool    // changes since the last table
	scheduled    bool    // a coalesced publish is due (timer set)
	lastEnd      time.Time
	coalesceFrom int // CoalesceFrom; tests lower it
	builds       int // whole builds of st, for tests

	pubMu sync.Mutex // serializes publishing, so onChange sees tables in order
	table atomic.Pointer[Table]
}

const (
	// CoalesceFrom is the number of sources (agents, and the hub) from which changes may be
	// coalesced; below it each change is published at once, before Set or Remove returns.
	CoalesceFrom = 100
	// MaxCoalesce is the longest a change waits for the table that holds it.
	MaxCoalesce = 100 * time.Millisecond
)

// New returns an empty router. onChange, when not nil, is called after a table that
// changed an exposed list is published, outside the router's state lock, in order.
func New(onChange func(Changes)) *Router {
	r := &Router{onChange: onChange, sources: make(map[string][]src), coalesceFrom: CoalesceFrom,
		st: newState(), tk: newTouched()}
	r.table.Store(&Table{st: r.st})
	return r
}

// SetDefaultNaming sets the naming mode ("auto" or "prefixed", the default) of backends
// that do not choose one themselves: the hub-wide naming setting. The next table is built
// whole.
func (r *Router) SetDefaultNaming(mode string) {
	r.update(func() {
		if r.naming == mode {
			return
		}
		r.naming = mode
		for agent, ss := range r.sources {
			bs := make([]protocol.Backend, len(ss))
			for i, s := range ss {
				bs[i] = *s.b
			}
			r.sources[agent] = sourcesOf(agent, bs, mode)
		}
		r.full = true
	})
}

// Set replaces everything published by one source: agent "" is the hub's own backends.
// Only backends in state "ready" contribute names. The router keeps the backends'
// raw JSON: callers must not modify it afterwards. Set with no backends is Remove.
// The change is in Table when Set returns, unless it is coalesced (see Router): then it is
// within MaxCoalesce, or at Sync.
func (r *Router) Set(agent string, backends []protocol.Backend) {
	if len(backends) == 0 {
		r.Remove(agent)
		return
	}
	next := sourcesOf(agent, backends, "") // parsed outside the lock; naming set below
	r.update(func() {
		for i := range next {
			if next[i].b.Naming == "" && r.naming == namingAuto {
				next[i].naming = namingAuto
			}
		}
		r.replace(agent, next)
	})
}

// Remove drops everything published by one source, such as an agent that disconnected.
func (r *Router) Remove(agent string) {
	r.update(func() { r.replace(agent, nil) })
}

// replace swaps one source's backends in the state; r.mu is held.
func (r *Router) replace(agent string, next []src) {
	old := r.sources[agent]
	if len(next) == 0 {
		delete(r.sources, agent)
	} else {
		r.sources[agent] = next
	}
	if r.full {
		return
	}
	before := r.st
	if !r.st.apply(old, next, false, &r.tk) {
		r.st, r.full = before, true
	}
}

// Table returns the current table: one atomic load, for the per-call path.
func (r *Router) Table() *Table {
	return r.table.Load()
}

// Sync publishes the changes not yet in Table, if any, and returns when Table holds them.
func (r *Router) Sync() { r.flush() }

func (r *Router) update(mutate func()) {
	r.mu.Lock()
	mutate()
	r.pending = true
	if r.scheduled { // the coming table takes this change too
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

// gap is how long a change made now waits before it is published: zero for a small table
// or when the last table was published long enough ago. r.mu is held.
func (r *Router) gap() time.Duration {
	if len(r.sources) < r.coalesceFrom {
		return 0
	}
	return time.Until(r.lastEnd.Add(MaxCoalesce))
}

// flush publishes the state as a table if it changed since the last one.
func (r *Router) flush() {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	r.mu.Lock()
	r.scheduled = false
	if !r.pending {
		r.mu.Unlock()
		return
	}
	r.pending = false
	if r.full {
		r.st, r.full = build(r.sources), false
		r.tk = newTouched()
		r.tk.all = true
		r.builds++
	}
	t := &Table{st: r.st}
	tk := r.tk
	r.tk = newTouched()
	r.lastEnd = time.Now()
	r.mu.Unlock()

	old := r.table.Load()
	r.table.Store(t)
	if ch := diff(old, t, &tk); ch.Any() && r.onChange != nil {
		r.onChange(ch)
	}
}
