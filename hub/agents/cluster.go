package agents

import (
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// What hub/cluster needs of the registry when several hubs share one database.

// Instance returns the agent process a connected agent's hello named ("" if it did not
// say), and whether the agent is connected.
func (r *Registry) Instance(agentID string) (string, bool) {
	s := r.current(agentID)
	if s == nil {
		return "", false
	}
	return s.hello.Instance, true
}

// Backends returns a connected agent's backends as last reported, sorted by name.
func (r *Registry) Backends(agentID string) ([]protocol.Backend, bool) {
	s := r.current(agentID)
	if s == nil {
		return nil, false
	}
	return s.list(), true
}

// NoteReplaced records that a connection of agent process newer took agentID over from
// one of older on another hub (or the other way round), as a replacement on this hub is
// recorded, so that two agents sharing an id are found fighting across hubs too; it warns
// as register does.
func (r *Registry) NoteReplaced(agentID, older, newer, where string) {
	r.mu.Lock()
	warn := r.replaced(agentID, older, newer)
	r.mu.Unlock()
	if warn {
		r.log.Warn("two agents are fighting over id "+agentID+" across hubs: each connection replaces the other; give each agent its own id and key",
			"agent", agentID, "other_hub", where)
	}
}

// NoteFight marks agentID as fighting now: the presence table found an agent process that
// was pushed out taking the id back, perhaps through other hubs than this one. It warns
// at most once per fight window.
func (r *Registry) NoteFight(agentID, where string) {
	now := time.Now()
	r.mu.Lock()
	h := r.history[agentID]
	if h == nil {
		h = &replacements{}
		r.history[agentID] = h
	}
	h.fought = now
	warn := now.Sub(h.warned) >= r.opts.FightWindow
	if warn {
		h.warned = now
	}
	r.mu.Unlock()
	if warn {
		r.log.Warn("two agents are fighting over id "+agentID+" across hubs: each connection replaces the other; give each agent its own id and key",
			"agent", agentID, "other_hub", where)
	}
}
