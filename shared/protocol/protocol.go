// Package protocol is the contract between hub and agent: the frames that cross the tunnel,
// the messages they carry, and the integer capability version both sides announce.
// Changing a wire type id or a field name breaks deployed agents; the tests pin them.
package protocol

// CapabilityVersion is the version of this protocol that this build speaks. Bump it when a
// message gains meaning an older peer would not understand, and add a line to Changelog.
const CapabilityVersion = 4

// CapabilityLanes is the first version whose call streams are lanes: a stream carries one
// call after another, and only the hub closes it.
const CapabilityLanes = 3

// CapabilityDirect is the first version whose call streams (lanes) travel as direct
// streams: WebSocket messages of their own beside yamux (shared/tunnel, docs/TUNNEL.md).
const CapabilityDirect = 4

// MinCapabilityVersion is the oldest peer version the hub still accepts.
const MinCapabilityVersion = 1

// AgentPath is where a hub serves agent tunnels (GET, upgraded to a WebSocket).
const AgentPath = "/agent/ws"

// Change is one dated entry of the protocol's history.
type Change struct {
	Version int
	Date    string
	Note    string
}

// Changelog lists every capability version, oldest first.
var Changelog = []Change{
	{1, "2026-11-21", "first version: control stream (hello, welcome, refusal, update, event); " +
		"one stream per call (call, notify, request, response, result, cancel)"},
	// 2026-12-06, no version change: hello's instance (random per agent process), which
	// older hubs ignore and whose absence the hub handles (issue 10, item 17).
	// 2026-12-06, no version change: Call's trace, never sent nor read, is gone (a client's
	// traceparent travels in the message's _meta); the hub now sends caller.application.
	// 2026-12-07, no version change: backend's restarts, lastRestart and lastError (the
	// supervisor's restart count and last failure), absent from older agents, which the hub
	// shows as zero.
	{2, "2026-12-06", "backend: limits (timeoutMs, maxConcurrent, maxQueue) the agent's config sets for " +
		"a backend, which the hub enforces; error results the agent makes itself carry " +
		"data {failure} (CallFailure); absent from older agents, ignored by older hubs"},
	{3, "2026-12-06", "lanes: when both sides speak 3, a call stream carries one call after another " +
		"(Call … Result, then the next Call); the agent no longer half-closes after a Result and " +
		"only the hub closes a lane; a hub reuses a stream only after a Result without cancel; " +
		"with an older peer, one stream per call as before"},
	{4, "2026-12-07", "direct streams: when both sides speak 4, the hub opens call streams (lanes) as " +
		"direct streams, records in binary WebSocket messages starting with 0xD1 beside yamux " +
		"(stream id, kind data/window/close/reset, length, payload; credit per stream as yamux); " +
		"the control stream stays on yamux; with an older peer, yamux streams as before"},
}
