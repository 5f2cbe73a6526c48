package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Type identifies a frame. The numbers are part of the wire format: never reuse or renumber.
type Type uint8

// Control stream frames (the first stream the agent opens).
const (
	TypeHello   Type = 1 // agent → hub: who I am and what I serve
	TypeWelcome Type = 2 // hub → agent: accepted
	TypeRefusal Type = 3 // hub → agent: refused, with the reason; the hub then closes the tunnel
	TypeUpdate  Type = 4 // agent → hub: backends changed (list changes, health)
	TypeEvent   Type = 5 // agent → hub: a backend notification not tied to a call
)

// Call stream frames (one stream per client request, opened by the hub).
const (
	TypeCall     Type = 16 // hub → agent: the request, who asks, and until when
	TypeNotify   Type = 17 // agent → hub: a notification for the caller (progress, log message)
	TypeRequest  Type = 18 // agent → hub: a server→client request (sampling, elicitation, roots)
	TypeResponse Type = 19 // hub → agent: the client's answer to a TypeRequest
	TypeResult   Type = 20 // agent → hub: the final JSON-RPC response; the call is over
	TypeCancel   Type = 21 // hub → agent: the caller gave up
)

var typeNames = map[Type]string{
	TypeHello: "hello", TypeWelcome: "welcome", TypeRefusal: "refusal", TypeUpdate: "update",
	TypeEvent: "event", TypeCall: "call", TypeNotify: "notify", TypeRequest: "request",
	TypeResponse: "response", TypeResult: "result", TypeCancel: "cancel",
}

func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// MaxFrame bounds one frame's payload. It is above the hub's default request body limit
// (16 MiB) so that any request the hub accepts fits in one frame, results included.
const MaxFrame = 64 << 20

// headerLen is the size of a frame header: one type byte and a big-endian uint32 length.
const headerLen = 5

// ErrFrameTooLarge is returned for a frame whose payload exceeds MaxFrame.
var ErrFrameTooLarge = errors.New("protocol: frame too large")

// WriteFrame writes one frame. It issues a single Write so that concurrent writers that
// serialise on the stream never interleave a header with another frame's payload.
func WriteFrame(w io.Writer, t Type, payload []byte) error {
	if len(payload) > MaxFrame {
		return fmt.Errorf("write %s frame of %d bytes: %w", t, len(payload), ErrFrameTooLarge)
	}
	buf := make([]byte, headerLen+len(payload))
	buf[0] = byte(t)
	binary.BigEndian.PutUint32(buf[1:headerLen], uint32(len(payload)))
	copy(buf[headerLen:], payload)
	_, err := w.Write(buf)
	return err
}

// ReadFrame reads one frame. io.EOF means the peer closed cleanly between frames.
func ReadFrame(r io.Reader) (Type, []byte, error) {
	var h [headerLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("read frame header: %w", err)
		}
		return 0, nil, err
	}
	t := Type(h[0])
	n := binary.BigEndian.Uint32(h[1:])
	if n > MaxFrame {
		return 0, nil, fmt.Errorf("read %s frame of %d bytes: %w", t, n, ErrFrameTooLarge)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, fmt.Errorf("read %s frame payload: %w", t, noEOF(err))
	}
	return t, payload, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
