package protocol

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// The Call frame's encoder, the hub's half of the hand-written codec (calldecode.go is the
// agent's): json.Marshal's reflection cost about 5 % of the hub's CPU per call through an
// agent. It writes the members in the struct's order with the same omitempty rules; the raw
// members are copied as they are (json.Marshal would compact them and escape <, > and &, which
// changes no value). FuzzAppendCall holds json.Unmarshal of its output equal to the Call.

// AppendCall appends c as JSON to b. A ClientCapabilities that is not valid JSON is an error,
// as with json.Marshal; Message is trusted to be valid (the hub encodes it itself).
func AppendCall(b []byte, c *Call) ([]byte, error) {
	if len(c.ClientCapabilities) > 0 && !mcp.Valid(c.ClientCapabilities) {
		return b, fmt.Errorf("encode call frame: clientCapabilities is not valid JSON")
	}
	b = mcp.AppendString(append(b, `{"backend":`...), c.Backend)
	b = append(b, `,"message":`...)
	if len(c.Message) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, c.Message...)
	}
	b = append(b, `,"caller":{`...)
	first := true
	field := func(name, v string) {
		if v == "" {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = mcp.AppendString(append(append(append(b, '"'), name...), `":`...), v)
	}
	field("userId", c.Caller.UserID)
	field("name", c.Caller.Name)
	field("role", c.Caller.Role)
	field("keyId", c.Caller.KeyID)
	field("application", c.Caller.Application)
	field("session", c.Caller.Session)
	b = append(b, '}')
	if c.Deadline != 0 {
		b = strconv.AppendInt(append(b, `,"deadline":`...), c.Deadline, 10)
	}
	if c.PassInputRequired {
		b = append(b, `,"passInputRequired":true`...)
	}
	if len(c.ClientCapabilities) > 0 {
		b = append(append(b, `,"clientCapabilities":`...), c.ClientCapabilities...)
	}
	if c.LogLevel != "" {
		b = mcp.AppendString(append(b, `,"logLevel":`...), c.LogLevel)
	}
	return append(b, '}'), nil
}

// callFrameSize is about what AppendCall writes for c, so that the frame is encoded without
// growing its buffer: the members' names and punctuation (202 bytes with every member set
// and a 20-digit deadline), and their values (strings that need escapes grow it, which is
// rare).
func callFrameSize(c *Call) int {
	cl := c.Caller
	return 224 + len(c.Backend) + len(c.Message) + len(c.ClientCapabilities) + len(c.LogLevel) +
		len(cl.UserID) + len(cl.Name) + len(cl.Role) + len(cl.KeyID) + len(cl.Application) + len(cl.Session)
}

// WriteCall writes a Call frame, encoded straight after its header.
func (w *FrameWriter) WriteCall(c *Call) error {
	buf := make([]byte, headerLen, headerLen+callFrameSize(c))
	buf[0] = byte(TypeCall)
	buf, err := AppendCall(buf, c)
	if err != nil {
		return err
	}
	n := len(buf) - headerLen
	if n > MaxFrame {
		return fmt.Errorf("write %s frame of %d bytes: %w", TypeCall, n, ErrFrameTooLarge)
	}
	binary.BigEndian.PutUint32(buf[1:headerLen], uint32(n))
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err = w.out.Write(buf)
	return err
}
