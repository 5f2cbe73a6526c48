// Package control is the running agent's local control socket: JSON lines over a unix
// socket (0600) that give the dashboard snapshots, a live stream, reconnect and update checks.
package control

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
)

// Operations a client may ask for, one JSON object per line: {"op":"snapshot"}.
const (
	OpSnapshot    = "snapshot"     // one snapshot message
	OpSubscribe   = "subscribe"    // a snapshot, the kept log lines, then changes until the client leaves
	OpReconnect   = "reconnect"    // the agent connects to its hub now; an ok message
	OpCheckUpdate = "check_update" // the agent checks for a newer release; ok (what it found) or error
)

// Types of the messages the agent sends, one JSON object per line.
const (
	TypeSnapshot = "snapshot"
	TypeLog      = "log"
	TypeOK       = "ok"
	TypeError    = "error"
)

// Request is one line from a client. Fields it does not know are ignored.
type Request struct {
	Op string `json:"op"`
}

// Message is one line from the agent.
type Message struct {
	Type     string           `json:"type"`
	Snapshot *status.Snapshot `json:"snapshot,omitempty"`
	Log      *status.LogLine  `json:"log,omitempty"`
	Message  string           `json:"message,omitempty"` // for ok
	Error    string           `json:"error,omitempty"`   // for error
}

// MaxRequestLine bounds a client's line; longer ones end the connection.
const MaxRequestLine = 64 << 10

// MaxMessageLine bounds a line the client reads (a snapshot with its calls fits easily).
const MaxMessageLine = 8 << 20

var ops = []string{OpSnapshot, OpSubscribe, OpReconnect, OpCheckUpdate}

// ParseRequest decodes and checks one request line.
func ParseRequest(line []byte) (Request, error) {
	var r Request
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("bad request: want a JSON object like {\"op\":\"snapshot\"}: %w", err)
	}
	for _, op := range ops {
		if r.Op == op {
			return r, nil
		}
	}
	if r.Op == "" {
		return r, errors.New(`bad request: no "op"; want one of ` + strings.Join(ops, ", "))
	}
	return r, fmt.Errorf("unknown op %q; want one of %s", r.Op, strings.Join(ops, ", "))
}

// ParseMessage decodes one line from the agent.
func ParseMessage(line []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(line, &m); err != nil {
		return m, fmt.Errorf("bad message from the agent: %w", err)
	}
	switch {
	case m.Type == TypeSnapshot && m.Snapshot == nil, m.Type == TypeLog && m.Log == nil:
		return m, fmt.Errorf("bad message from the agent: %s without its body", m.Type)
	case m.Type == TypeSnapshot, m.Type == TypeLog, m.Type == TypeOK, m.Type == TypeError:
		return m, nil
	}
	return m, fmt.Errorf("bad message from the agent: unknown type %q", m.Type)
}

// ErrUnsupported is returned where the platform has no control socket yet.
var ErrUnsupported = errors.New("the control socket is not supported on this platform yet; run `mcp-gateway-agent run` in a terminal to see the dashboard")

// errNoPeerCred: this platform's peer credentials are not read; the socket's 0600 mode is
// the only guard there.
var errNoPeerCred = errors.New("peer credentials not available on this platform")

// ErrAgentRunning means another live agent holds the control socket.
var ErrAgentRunning = errors.New("another agent is already running")

// PipeName is the named pipe that stands for the control socket path on Windows.
func PipeName(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	sum := sha256.Sum256([]byte(strings.ToLower(abs))) // Windows paths are case-insensitive
	return `\\.\pipe\mcp-gateway-agent-` + hex.EncodeToString(sum[:8])
}
