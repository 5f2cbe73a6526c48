package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// JSONEvent is an audit event as JSON: one line of a JSON-lines export, and the body of a
// journal record. Field names are part of the export format; add, never rename.
type JSONEvent struct {
	ID           string    `json:"id"`
	Time         time.Time `json:"time"`
	Kind         string    `json:"kind"`
	UserID       string    `json:"user_id,omitempty"`
	KeyID        string    `json:"key_id,omitempty"`
	Caller       string    `json:"caller,omitempty"`
	Role         string    `json:"role,omitempty"`
	Application  string    `json:"application,omitempty"`
	Agent        string    `json:"agent,omitempty"`
	Backend      string    `json:"backend,omitempty"`
	Tool         string    `json:"tool,omitempty"`
	Risk         string    `json:"risk,omitempty"`
	Decision     string    `json:"decision,omitempty"`
	Rule         string    `json:"rule,omitempty"`
	Status       string    `json:"status,omitempty"`
	Error        string    `json:"error,omitempty"`
	DurationNS   int64     `json:"duration_ns,omitempty"`
	TraceID      string    `json:"trace_id,omitempty"`
	RequestHash  string    `json:"request_hash,omitempty"`
	ResponseHash string    `json:"response_hash,omitempty"`
	Request      string    `json:"request,omitempty"`
	Response     string    `json:"response,omitempty"`
	Action       string    `json:"action,omitempty"`
	Target       string    `json:"target,omitempty"`
	Detail       string    `json:"detail,omitempty"`
}

// NewJSONEvent converts a stored event to its JSON form.
func NewJSONEvent(e *store.AuditEvent) JSONEvent {
	return JSONEvent{
		ID: e.ID, Time: e.Time.UTC(), Kind: e.Kind, UserID: e.UserID, KeyID: e.KeyID, Caller: e.Caller,
		Role: e.Role, Application: e.Application, Agent: e.Agent, Backend: e.Backend, Tool: e.Tool,
		Risk: e.Risk, Decision: e.Decision, Rule: e.Rule, Status: e.Status, Error: e.Error,
		DurationNS: int64(e.Duration), TraceID: e.TraceID, RequestHash: e.RequestHash,
		ResponseHash: e.ResponseHash, Request: e.Request, Response: e.Response, Action: e.Action,
		Target: e.Target, Detail: e.Detail,
	}
}

// Event converts back to the stored form.
func (j *JSONEvent) Event() store.AuditEvent {
	return store.AuditEvent{
		ID: j.ID, Time: j.Time.UTC(), Kind: j.Kind, UserID: j.UserID, KeyID: j.KeyID, Caller: j.Caller,
		Role: j.Role, Application: j.Application, Agent: j.Agent, Backend: j.Backend, Tool: j.Tool,
		Risk: j.Risk, Decision: j.Decision, Rule: j.Rule, Status: j.Status, Error: j.Error,
		Duration: time.Duration(j.DurationNS), TraceID: j.TraceID, RequestHash: j.RequestHash,
		ResponseHash: j.ResponseHash, Request: j.Request, Response: j.Response, Action: j.Action,
		Target: j.Target, Detail: j.Detail,
	}
}

// Journal records are lines: 8 lowercase hex digits of the CRC-32C of the JSON, a space,
// the JSON of a JSONEvent, and "\n". JSON never contains a raw newline, so a record cannot
// split; the checksum catches a torn or damaged line. Each segment starts with journalHeader.
const (
	journalHeader = "mcpgw-audit-journal 1\n"
	crcLen        = 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// ErrCorrupt: a journal line that is torn, damaged, or not a record.
var ErrCorrupt = errors.New("audit journal: corrupt record")

// appendRecord appends e's journal record (newline included) to buf.
func appendRecord(buf []byte, e *store.AuditEvent) ([]byte, error) {
	start := len(buf)
	buf = append(buf, "00000000 "...)
	buf, err := appendEventJSON(buf, e)
	if err != nil {
		return buf[:start], fmt.Errorf("encode audit event %s: %w", e.ID, err)
	}
	putHex32(buf[start:start+crcLen], crcOf(buf[start+crcLen+1:]))
	return append(buf, '\n'), nil
}

// ParseRecord decodes one journal line (without its newline). Anything but an intact
// record is ErrCorrupt.
func ParseRecord(line []byte) (store.AuditEvent, error) {
	if len(line) < crcLen+3 || line[crcLen] != ' ' {
		return store.AuditEvent{}, fmt.Errorf("%w: too short or no checksum", ErrCorrupt)
	}
	want, ok := parseHex32(line[:crcLen])
	body := line[crcLen+1:]
	if !ok || crcOf(body) != want {
		return store.AuditEvent{}, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	if ev, ok := decodeEventJSON(body); ok {
		if ev.ID == "" || ev.Kind == "" || ev.Time.IsZero() {
			return store.AuditEvent{}, fmt.Errorf("%w: id, kind or time missing", ErrCorrupt)
		}
		return ev, nil
	}
	var je JSONEvent
	if err := json.Unmarshal(body, &je); err != nil {
		return store.AuditEvent{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if je.ID == "" || je.Kind == "" || je.Time.IsZero() {
		return store.AuditEvent{}, fmt.Errorf("%w: id, kind or time missing", ErrCorrupt)
	}
	return je.Event(), nil
}

const hexDigits = "0123456789abcdef"

func putHex32(dst []byte, v uint32) {
	for i := 7; i >= 0; i-- {
		dst[i] = hexDigits[v&15]
		v >>= 4
	}
}

func parseHex32(src []byte) (uint32, bool) {
	var v uint32
	for _, c := range src {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint32(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
