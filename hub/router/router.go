// Package router maps the names the hub exposes (tools, prompts, resource URIs) to the
// agent, backend and original name behind them, from the backends' snapshots; the naming
// rules are in docs/NAMING.md.
package router

import (
	"slices"
	"sync"
	"sync/atomic"

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
type Router struct {
	onChange func(Changes)

	mu      sync.Mutex // serializes updates; readers use table
	sources map[string][]protocol.Backend
	naming  string     // default naming mode
	cache   parseCache // what the last build parsed, per backend
	table   atomic.Pointer[Table]
}

// New returns an empty router. onChange, when not nil, is called after a Set or Remove that
// changed an exposed list, outside the router's lock; calls from concurrent updates may
// overlap, so it should only signal (say, on a channel) and read Table afresh.
func New(onChange func(Changes)) *Router {
	r := &Router{onChange: onChange, sources: make(map[string][]protocol.Backend)}
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

func (r *Router) update(mutate func()) {
	r.mu.Lock()
	mutate()
	old := r.table.Load()
	var t *Table
	t, r.cache = build(r.sources, r.naming, r.cache)
	r.table.Store(t)
	r.mu.Unlock()
	if ch := diff(old, t); ch.Any() && r.onChange != nil {
		r.onChange(ch)
	}
}
