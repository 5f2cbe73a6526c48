package tunnel

import (
	"encoding/binary"
	"fmt"
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

// parseRecords calls fn for each record of body, the bytes of a direct message after its
// marker. A message must hold at least one record and only whole, valid ones; a malformed
// message is an error (the tunnel is then closed), and fn has seen the records before it.
func parseRecords(body []byte, fn func(record) error) error {
	if len(body) == 0 {
		return fmt.Errorf("tunnel: direct message without records")
	}
	for off := 0; off < len(body); {
		rest := body[off:]
		if len(rest) < directHeaderSize {
			return fmt.Errorf("tunnel: direct message: truncated record header at offset %d", off)
		}
		r := record{id: binary.BigEndian.Uint32(rest), kind: RecordKind(rest[4]), n: binary.BigEndian.Uint32(rest[5:9])}
		switch {
		case r.id == 0:
			return fmt.Errorf("tunnel: direct message: record for stream 0 at offset %d", off)
		case r.kind > RecordReset:
			return fmt.Errorf("tunnel: direct message: unknown record %s at offset %d", r.kind, off)
		case r.kind == RecordData && uint64(r.n) > uint64(len(rest)-directHeaderSize):
			return fmt.Errorf("tunnel: direct message: data record of %d bytes at offset %d overruns the message (%d left)",
				r.n, off, len(rest)-directHeaderSize)
		case r.kind == RecordWindow && r.n == 0:
			return fmt.Errorf("tunnel: direct message: empty window update at offset %d", off)
		case (r.kind == RecordClose || r.kind == RecordReset) && r.n != 0:
			return fmt.Errorf("tunnel: direct message: %s record with length %d at offset %d", r.kind, r.n, off)
		}
		if r.kind == RecordData {
			r.payload = rest[directHeaderSize : directHeaderSize+int(r.n)]
		}
		if err := fn(r); err != nil {
			return err
		}
		off += recordLen(rest)
	}
	return nil
}
