package protocol

import (
	"encoding/json"
	"fmt"
	"io"
)

// Hello is the agent's first frame on the control stream.
type Hello struct {
	AgentID    string    `json:"agentId"`
	Version    string    `json:"version"`    // the agent build, for operators
	Capability int       `json:"capability"` // CapabilityVersion of the agent
	Backends   []Backend `json:"backends"`
	// Instance is random per agent process and the same on each of its connections, so the
	// hub tells a reconnection (same instance) from a second process using the same id
	// (another instance). Absent from older agents.
	Instance string `json:"instance,omitempty"`
}

// Backend is one MCP server as the agent (or the hub, for its own backends) sees it: its
// state and everything it lists, as raw JSON objects exactly as the server sent them.
type Backend struct {
	Name      string `json:"name"`
	Transport string `json:"transport"`        // stdio | http | sse
	Naming    string `json:"naming,omitempty"` // prefixed (default) | auto
	State     string `json:"state"`            // one of the State* constants
	Error     string `json:"error,omitempty"`  // why it is not ready, when it is not
	// Restarts counts the sessions that failed and were restarted by the supervisor since it
	// started; LastRestart is when the last one failed (Unix milliseconds) and LastError why.
	// LastError stays after the backend is ready again. Absent from older agents (zero).
	Restarts    int    `json:"restarts,omitempty"`
	LastRestart int64  `json:"lastRestart,omitempty"`
	LastError   string `json:"lastError,omitempty"`
	// Limits are the call bounds configured for this backend where it runs; the hub enforces
	// them (capability 2). Nil: none set, the hub's defaults apply.
	Limits *Limits `json:"limits,omitempty"`

	ServerInfo   json.RawMessage `json:"serverInfo,omitempty"`
	Capabilities json.RawMessage `json:"capabilities,omitempty"`
	Instructions string          `json:"instructions,omitempty"`
	// ProtocolVersion is the MCP version spoken with the backend: "2026-07-28" for the
	// stateless era (server/discover), an earlier one after initialize.
	ProtocolVersion string `json:"protocolVersion,omitempty"`

	Tools             []json.RawMessage `json:"tools,omitempty"`
	Resources         []json.RawMessage `json:"resources,omitempty"`
	ResourceTemplates []json.RawMessage `json:"resourceTemplates,omitempty"`
	Prompts           []json.RawMessage `json:"prompts,omitempty"`
}

// Limits are a backend's own call bounds; a zero field means "the hub's default".
type Limits struct {
	TimeoutMs     int64 `json:"timeoutMs,omitempty"`     // deadline of one call, in milliseconds
	MaxConcurrent int   `json:"maxConcurrent,omitempty"` // calls running at once
	MaxQueue      int   `json:"maxQueue,omitempty"`      // calls waiting for one of those slots
}

// Backend states.
const (
	StateStarting = "starting"
	StateReady    = "ready"
	StateFailed   = "failed" // died or could not start; the supervisor retries with backoff
	StateStopped  = "stopped"
	// StateNeedsLogin: the server requires OAuth authorization and the gateway has no token
	// it accepts; it waits for an operator's `backends login NAME` instead of restarting.
	StateNeedsLogin = "needs_login"
)

// Welcome accepts an agent.
type Welcome struct {
	AgentID    string `json:"agentId"`
	Capability int    `json:"capability"` // CapabilityVersion of the hub
	HubVersion string `json:"hubVersion"`
}

// Refusal rejects an agent; Code is machine-readable, Message is for the person at the agent.
type Refusal struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// BoundAgentID is, with RefuseAgentID, the agent id the key is bound to. Only the key's
	// holder sees it (the tunnel upgrade authenticated the key first); setup without an agent
	// id takes it from here.
	BoundAgentID string `json:"boundAgentId,omitempty"`
}

// Refusal codes.
const (
	RefuseAgentID    = "agent_id_mismatch" // the key is bound to another agent id
	RefuseVersion    = "unsupported_version"
	RefuseBadHello   = "bad_hello"
	RefuseReplaced   = "replaced" // a newer connection with the same id took over
	RefuseRevoked    = "revoked"
	RefuseHubClosing = "hub_closing"
)

// Update replaces the listed backends' entries (full entries, not deltas) and drops Removed.
type Update struct {
	Backends []Backend `json:"backends,omitempty"`
	Removed  []string  `json:"removed,omitempty"`
}

// Event carries a backend notification that belongs to no call, such as
// notifications/resources/updated for a subscription.
type Event struct {
	Backend string          `json:"backend"`
	Message json.RawMessage `json:"message"`
}

// Caller says who makes a call: for the agent's logs and dashboard (Name, else KeyID, and
// Application, with UserID and Role in its debug log), and to keep each client's
// server→client requests to itself (KeyID and Session).
type Caller struct {
	UserID      string `json:"userId,omitempty"`
	Name        string `json:"name,omitempty"` // the user's name
	Role        string `json:"role,omitempty"`
	KeyID       string `json:"keyId,omitempty"`
	Application string `json:"application,omitempty"` // what the key is for ("" for a personal key)
	Session     string `json:"session,omitempty"`     // the client's MCP session, when it has one
}

// Call opens a call stream: one JSON-RPC request for one backend.
type Call struct {
	Backend string          `json:"backend"`
	Message json.RawMessage `json:"message"` // the JSON-RPC request, names already mapped to the backend's own
	Caller  Caller          `json:"caller"`
	// Deadline is in Unix milliseconds; 0 means none. There is no trace field: a client's
	// traceparent travels inside Message (the request's _meta), which reaches the backend
	// unchanged.
	Deadline int64 `json:"deadline,omitempty"`
	// PassInputRequired: the caller speaks the stateless era (2026-07-28), so an
	// input_required result of a modern backend goes back to it unchanged instead of being
	// turned into server→client requests (backend.Call.PassInputRequired). An agent that does not
	// know the field bridges instead, which also works.
	PassInputRequired bool `json:"passInputRequired,omitempty"`
	// ClientCapabilities are what the caller's client declared (sampling, elicitation,
	// roots), for stateless backends that check them per request. Absent: not known.
	ClientCapabilities json.RawMessage `json:"clientCapabilities,omitempty"`
	// LogLevel is the least severe log level the caller's client wants for this call
	// (backend.Call.LogLevel: a level name, or "none"). Absent: every message (the client
	// wants them all, or the hub predates the field). An agent that predates it decodes a
	// frame that has it with json.Unmarshal (slower, same result) and asks for everything.
	LogLevel string `json:"logLevel,omitempty"`
}

// CallFailure is the error data of a Result the agent makes itself because its backend gave
// no answer (capability 2), so that the hub tells it from the backend's own error answers
// (its circuit breaker counts the first, not the second).
type CallFailure struct {
	Failure string `json:"failure"` // one of the Failure* constants
}

// Why an agent's backend gave no answer.
const (
	FailureUnavailable    = "unavailable"     // not ready, or gone during the call
	FailureUnknownBackend = "unknown_backend" // no backend of that name (any more)
	FailureInternal       = "internal"        // a transport error, or anything else
)

// Cancel tells the agent the caller gave up on the call.
type Cancel struct {
	Reason string `json:"reason,omitempty"`
}

// Notify, Request, Response and Result frames carry a raw JSON-RPC message as their whole
// payload, so results pass through the tunnel without being decoded or re-encoded.

// WriteJSON writes a frame whose payload is v encoded as JSON.
func WriteJSON(w io.Writer, t Type, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s frame: %w", t, err)
	}
	return WriteFrame(w, t, b)
}

// ReadJSON reads one frame that must be of type want and decodes it into v.
func ReadJSON(r io.Reader, want Type, v any) error {
	t, payload, err := ReadFrame(r)
	if err != nil {
		return err
	}
	if t != want {
		return fmt.Errorf("protocol: got %s frame, want %s", t, want)
	}
	return Decode(t, payload, v)
}

// Decode decodes a frame payload, naming the frame type in the error. A Call takes a
// hand-written path when it can (calldecode.go), with exactly json.Unmarshal's result.
func Decode(t Type, payload []byte, v any) error {
	if c, ok := v.(*Call); ok && c != nil && isCallZero(c) && decodeCallFast(payload, c) {
		return nil
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("decode %s frame: %w", t, err)
	}
	return nil
}
