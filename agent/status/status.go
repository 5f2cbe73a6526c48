// Package status is the running agent's live state — connection, backends, recent calls and
// log lines — kept in bounded memory for the TUI and the control socket to read.
package status

import (
	"time"
)

// Connection states of Snapshot.State.
const (
	StateConnecting   = "connecting"   // first attempt, never connected yet
	StateConnected    = "connected"    // welcomed by the hub
	StateReconnecting = "reconnecting" // lost or failed; RetryAt says when the next try is (zero: trying now)
	StateRefused      = "refused"      // the hub said no (Refusal says why); retried slowly
)

// Call statuses.
const (
	CallOK        = "ok"
	CallError     = "error"     // the backend or the agent answered with a JSON-RPC error
	CallCancelled = "cancelled" // the caller gave up
	CallTimeout   = "timeout"   // the call's deadline passed
)

// Snapshot is the agent's state at one moment. It is a copy: the caller may keep it.
type Snapshot struct {
	Version string `json:"version"`
	HubURL  string `json:"hubUrl"`
	AgentID string `json:"agentId"`
	// Started is when the agent (its tracker) started; a new value means a new process.
	Started time.Time `json:"started"`

	State string `json:"state"` // one of the State* constants
	// Since is when State was entered.
	Since time.Time `json:"since"`
	// RetryAt is when the next connection attempt starts, while reconnecting or refused;
	// zero when an attempt is under way. RetryIn is RetryAt less the snapshot's time.
	RetryAt time.Time     `json:"retryAt,omitzero"`
	RetryIn time.Duration `json:"retryIn,omitempty"`
	// Refusal is the hub's reason, when State is refused.
	Refusal string `json:"refusal,omitempty"`
	// LastError is why the last connection failed or ended.
	LastError string `json:"lastError,omitempty"`
	// HubVersion is what the hub said in its welcome.
	HubVersion string `json:"hubVersion,omitempty"`

	Backends []Backend `json:"backends"`
	// Calls are the most recent calls, newest first.
	Calls []Call `json:"calls"`
	// CallsTotal counts every call since the agent started, including those no longer in Calls.
	CallsTotal uint64 `json:"callsTotal"`

	// UpdateAvailable is a newer version the last update check found, if any.
	UpdateAvailable string `json:"updateAvailable,omitempty"`
	// Taken is when the snapshot was made.
	Taken time.Time `json:"taken"`
}

// Backend is one local MCP server as the agent sees it.
type Backend struct {
	Name      string `json:"name"`
	Transport string `json:"transport"`
	State     string `json:"state"` // protocol.State*: starting, ready, failed, stopped
	Tools     int    `json:"tools"`
	// Restarts counts the times the backend was started again after running or failing.
	Restarts int `json:"restarts"`
	// LastError is the most recent failure, kept after the backend recovers.
	LastError string `json:"lastError,omitempty"`
}

// Call is one request the hub sent to a backend.
type Call struct {
	Time        time.Time     `json:"time"`
	Caller      string        `json:"caller,omitempty"` // the user's name, else the key id
	Application string        `json:"application,omitempty"`
	Backend     string        `json:"backend"`
	Tool        string        `json:"tool"`   // the tool for tools/call, else the method
	Status      string        `json:"status"` // one of the Call* constants
	Error       string        `json:"error,omitempty"`
	Duration    time.Duration `json:"duration"`
}

// LogLine is one log record, formatted.
type LogLine struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Level   string    `json:"level"` // DEBUG, INFO, WARN, ERROR
	Message string    `json:"message"`
	Attrs   string    `json:"attrs,omitempty"` // key=value pairs, space separated
}

// Kind says what changed, in an Event.
type Kind uint8

// Event kinds.
const (
	KindState   Kind = iota + 1 // connection state
	KindBackend                 // a backend's state or lists
	KindCall                    // a call finished
	KindLog                     // a log line was added
	KindUpdate                  // UpdateAvailable changed
	KindReplace                 // the whole state was replaced (a mirror's Restore)
)

// Event tells a subscriber that something changed. It carries no state: a reader that
// misses events still sees everything through Snapshot and LogsSince.
type Event struct {
	Kind Kind
	Seq  uint64 // the log line's sequence number, for KindLog
}
