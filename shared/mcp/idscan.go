package mcp

import (
	"bytes"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// IDFinder finds the top-level "id" of a JSON-RPC message fed to it in pieces, without
// keeping the message: a message too large to hold, or a broken one, can still be matched
// to its call. The id may come anywhere among the members (the TypeScript SDK writes it
// last). It also notes a top-level "method", which makes the message a request rather than
// a response. It stops at the first byte that breaks the object's structure; what it found
// before stays. The zero value is ready to use.
type IDFinder struct {
	depth    int  // nesting: 0 outside the top-level object, 1 among its members
	inStr    bool // inside a string
	esc      bool // the previous byte was a backslash inside a string
	strRole  byte // what the current string is: roleKey, roleValue or roleNone
	state    byte // where among the top-level members, while depth == 1 and !inStr
	stopped  bool // structure broken, or the top-level object ended
	key      []byte
	keyLong  bool // the current key is longer than maxKeyLen: not one we look for
	capture  bool // the current value is the "id"'s: keep its bytes
	val      []byte
	id       []byte // the last complete top-level id value, raw
	hasID    bool
	isMethod bool
}

const (
	roleNone byte = iota
	roleKey
	roleValue
)

// States among the top-level members.
const (
	stKey    byte = iota // expecting a key or '}'
	stColon              // after a key, expecting ':'
	stValue              // expecting a value
	stScalar             // inside a number or literal
	stComma              // after a value, expecting ',' or '}'
)

const (
	maxKeyLen = 32  // longer keys are neither "id" nor "method", even escaped
	maxIDLen  = 128 // longer id values are not ids the gateway sent
)

// Write feeds the next piece of the message. It never fails.
func (f *IDFinder) Write(p []byte) (int, error) {
	for i := 0; i < len(p) && !f.stopped; i++ {
		if !f.inStr {
			f.token(p[i])
			continue
		}
		if !f.esc && !f.recording() {
			// Bytes nobody keeps: jump to the next quote or backslash.
			j := bytes.IndexAny(p[i:], `"\`)
			if j < 0 {
				break
			}
			i += j
		}
		f.strByte(p[i])
	}
	return len(p), nil
}

// ID returns the id found, if it is a valid JSON-RPC id (a string or an integer).
func (f *IDFinder) ID() (jsonrpc.ID, bool) {
	if !f.hasID {
		return jsonrpc.ID{}, false
	}
	id, err := parseID(f.id)
	return id, err == nil && id.IsValid()
}

// IsRequest reports whether a top-level "method" member was seen.
func (f *IDFinder) IsRequest() bool { return f.isMethod }

// Reset makes f ready for the next message, keeping its buffers.
func (f *IDFinder) Reset() {
	*f = IDFinder{key: f.key[:0], val: f.val[:0], id: f.id[:0]}
}

func (f *IDFinder) recording() bool {
	return f.strRole == roleKey || f.strRole == roleValue && f.capture
}

// strByte handles one byte inside a string.
func (f *IDFinder) strByte(c byte) {
	switch {
	case f.esc:
		f.esc = false
	case c == '\\':
		f.esc = true
	case c == '"':
		f.inStr = false
		f.endString()
		return
	}
	f.keep(c)
}

// keep records a byte of the current key or captured value.
func (f *IDFinder) keep(c byte) {
	switch {
	case f.strRole == roleKey && len(f.key) < maxKeyLen:
		f.key = append(f.key, c)
	case f.strRole == roleKey:
		f.keyLong = true
	case f.capture && len(f.val) < maxIDLen:
		f.val = append(f.val, c)
	case f.capture:
		f.capture = false // too long for an id
	}
}

func (f *IDFinder) endString() {
	switch f.strRole {
	case roleKey:
		f.state = stColon
	case roleValue:
		f.state = stComma
		if f.capture {
			f.val = append(f.val, '"')
			f.endValue()
		}
	}
	f.strRole = roleNone
}

func (f *IDFinder) endValue() {
	if f.capture {
		f.id, f.hasID = append(f.id[:0], f.val...), true
		f.capture = false
	}
}

// token handles one byte outside strings.
func (f *IDFinder) token(c byte) {
	switch {
	case f.depth == 0:
		if c == '{' {
			f.depth, f.state = 1, stKey
		} else if !isSpace(c) {
			f.stopped = true
		}
	case f.depth > 1:
		switch c {
		case '"':
			f.inStr, f.strRole = true, roleNone
		case '{', '[':
			f.depth++
		case '}', ']':
			if f.depth--; f.depth == 1 {
				f.state = stComma
			}
		}
	default:
		f.member(c)
	}
}

// member handles one byte among the top-level members (depth 1, outside strings).
func (f *IDFinder) member(c byte) {
	if f.state == stScalar {
		if !isSpace(c) && c != ',' && c != '}' {
			f.keep(c)
			return
		}
		f.endValue()
		f.state = stComma
	}
	if isSpace(c) {
		return
	}
	switch {
	case f.state == stKey && c == '"':
		f.inStr, f.strRole = true, roleKey
		f.key, f.keyLong = f.key[:0], false
	case f.state == stColon && c == ':':
		f.state = stValue
		f.capture = !f.keyLong && keyIs(f.key, "id")
		if !f.keyLong && keyIs(f.key, "method") {
			f.isMethod = true
		}
	case f.state == stValue:
		f.value(c)
	case f.state == stComma && c == ',':
		f.state = stKey
	case (f.state == stKey || f.state == stComma) && c == '}':
		f.depth, f.stopped = 0, true // the message is complete
	default:
		f.stopped = true
	}
}

// value starts a top-level member's value.
func (f *IDFinder) value(c byte) {
	switch c {
	case '"':
		f.inStr, f.strRole = true, roleValue
		if f.capture {
			f.val = append(f.val[:0], '"')
		}
	case '{', '[':
		f.depth++
		f.capture = false // not a valid id
	default:
		f.state = stScalar
		if f.capture {
			f.val = f.val[:0]
			f.keep(c)
		}
	}
}
