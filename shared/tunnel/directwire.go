package tunnel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// The wire form of direct streams (protocol capability 4, docs/TUNNEL.md). A direct message
// is a binary WebSocket message whose first byte is DirectMarker, followed by one or more
// records:
//
//	stream id  uint32, big endian (chosen by the opener, the hub; increasing, never 0)
//	kind       uint8  (RecordData, RecordWindow, RecordClose, RecordReset)
//	length     uint32, big endian: for data the payload bytes that follow; for a window
//	           update the credit granted; 0 for close and reset
//	payload    length bytes, data records only
//
// yamux's frames start with its version byte, 0, so a message starting with DirectMarker is
// never yamux's.
const (
	DirectMarker      = 0xD1
	directHeaderSize  = 9
	directInitialCred = minStreamWindow // credit of a new stream before any window update
)

// RecordKind is the kind of a direct-stream record.
type RecordKind uint8

// The record kinds. Their values are wire format.
const (
	RecordData   RecordKind = 0 // payload bytes for the stream
	RecordWindow RecordKind = 1 // the receiver consumed bytes: the sender may send length more
	RecordClose  RecordKind = 2 // the sender will send no more on the stream
	RecordReset  RecordKind = 3 // the stream is abandoned: both ends fail it
)

func (k RecordKind) String() string {
	switch k {
	case RecordData:
		return "data"
	case RecordWindow:
		return "window"
	case RecordClose:
		return "close"
	case RecordReset:
		return "reset"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// record is one parsed record; payload aliases the message buffer.
type record struct {
	id      uint32
	kind    RecordKind
	n       uint32
	payload []byte
}

// appendRecord appends one record to b.
func appendRecord(b []byte, id uint32, kind RecordKind, n uint32, payload []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, id)
	b = append(b, byte(kind))
	b = binary.BigEndian.AppendUint32(b, n)
	return append(b, payload...)
}

// recordLen is the size of the record starting at b (which holds at least its header).
func recordLen(b []byte) int {
	if RecordKind(b[4]) != RecordData {
		return directHeaderSize
	}
	return directHeaderSize + int(binary.BigEndian.Uint32(b[5:9]))
}

// parseHeader reads and checks a record header (h holds directHeaderSize bytes). A data
// record may not claim more than a whole message can hold.
func parseHeader(h []byte) (record, error) {
	r := record{id: binary.BigEndian.Uint32(h), kind: RecordKind(h[4]), n: binary.BigEndian.Uint32(h[5:9])}
	switch {
	case r.id == 0:
		return r, fmt.Errorf("record for stream 0")
	case r.kind > RecordReset:
		return r, fmt.Errorf("unknown record %s", r.kind)
	case r.kind == RecordData && r.n > maxDirectMessage:
		return r, fmt.Errorf("data record of %d bytes, more than a message holds", r.n)
	case r.kind == RecordWindow && r.n == 0:
		return r, fmt.Errorf("empty window update")
	case (r.kind == RecordClose || r.kind == RecordReset) && r.n != 0:
		return r, fmt.Errorf("%s record with length %d", r.kind, r.n)
	}
	return r, nil
}

// parseRecords calls fn for each record of body, the bytes of a direct message after its
// marker; a data record's payload aliases body. A message must hold at least one record and
// only whole, valid ones; a malformed message is an error wrapping errMalformed (the tunnel
// is then closed), and fn has seen the records before it.
func parseRecords(body []byte, fn func(record)) error {
	if len(body) == 0 {
		return fmt.Errorf("%w: no records", errMalformed)
	}
	for i, off := 0, 0; off < len(body); i++ {
		rest := body[off:]
		if len(rest) < directHeaderSize {
			return fmt.Errorf("%w: record %d: truncated header", errMalformed, i)
		}
		r, err := parseHeader(rest)
		if err != nil {
			return fmt.Errorf("%w: record %d: %w", errMalformed, i, err)
		}
		if r.kind == RecordData {
			if uint64(r.n) > uint64(len(rest)-directHeaderSize) {
				return fmt.Errorf("%w: record %d: data of %d bytes overruns the message (%d left)",
					errMalformed, i, r.n, len(rest)-directHeaderSize)
			}
			r.payload = rest[directHeaderSize : directHeaderSize+int(r.n)]
		}
		fn(r)
		off += recordLen(rest)
	}
	return nil
}

// errMalformed marks a direct message that breaks the wire format.
var errMalformed = errors.New("tunnel: malformed direct message")

// The reader's buffers for direct messages, shared by all tunnels so that no tunnel keeps
// one while idle: a small one for the usual message, a large one for a message that
// outgrows it (a large result; reused rather than grown each time).
var (
	smallMsgPool = sync.Pool{New: func() any { b := make([]byte, maxRecordPayload); return &b }}
	largeMsgPool = sync.Pool{New: func() any { b := make([]byte, maxDirectMessage+directHeaderSize); return &b }}
)

// readMessage reads r to its end into a pooled buffer and calls fn with the bytes; they are
// valid only during the call.
func readMessage(r io.Reader, fn func([]byte) error) error {
	small := smallMsgPool.Get().(*[]byte)
	defer smallMsgPool.Put(small)
	var large *[]byte
	defer func() {
		if large != nil {
			largeMsgPool.Put(large)
		}
	}()
	b := (*small)[:0]
	for {
		if len(b) == cap(b) {
			var nb []byte
			if large == nil {
				large = largeMsgPool.Get().(*[]byte)
				nb = *large
			}
			if cap(nb) <= len(b) { // beyond even the large buffer: a peer's oversized message
				nb = make([]byte, 2*cap(b))
			}
			b = nb[:copy(nb[:cap(nb)], b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return fn(b)
		}
		if err != nil {
			return err
		}
	}
}
