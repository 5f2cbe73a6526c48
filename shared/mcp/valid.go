package mcp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A strict JSON validator (RFC 8259, the same language as json.Valid, fuzzed against it)
// that lets ParseMessage validate and find the members of a message in one pass. In strict
// mode (ParseClientMessage) the same pass also refuses what JSON parsers read differently:
// duplicate object keys, invalid UTF-8 and escaped lone surrogates.

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// ErrInvalidInput is wrapped by the errors of ParseClientMessage for valid JSON that the
// gateway will not forward (see InputError); ErrorCode maps it to -32602.
var ErrInvalidInput = errors.New("invalid params")

// InputError says what in a client's message was refused and where.
type InputError struct {
	Reason string   // what was found: `duplicate key "message"`, "invalid UTF-8", …
	path   []string // the members and indexes leading to it, innermost first
}

func (e *InputError) Error() string {
	where := e.Path()
	if where == "" {
		where = "the top level"
	}
	return "invalid params: " + e.Reason + " at " + where
}

// Path names where the problem is, as keys and indexes from the message's top level:
// params.arguments.paths[2]; "" for the top-level object.
func (e *InputError) Path() string {
	var sb strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		if p := e.path[i]; p[0] == '[' || sb.Len() == 0 {
			sb.WriteString(p)
		} else {
			sb.WriteString("." + p)
		}
	}
	return sb.String()
}

func (e *InputError) Unwrap() error { return ErrInvalidInput }

// maxListedKeys is the size up to which an object's keys are compared one by one for
// duplicates; a larger object gets a map, so that a message of many keys stays linear.
const maxListedKeys = 16

// span is where a raw key (between its quotes) is in the message. Offsets rather than
// slices keep a validator's key list free of pointers, so that it can live on the stack.
type span struct{ start, end int32 }

// validator validates JSON; the zero value accepts what json.Valid does.
type validator struct {
	strict bool
	fail   *InputError
	keys   keyStack
}

// keyStack holds the raw keys of the objects being read, innermost object last; the first
// ones in an array of the validator's own, so that a typical message needs no allocation.
type keyStack struct {
	n     int
	first [16]span
	more  []span
}

func (s *keyStack) at(i int) span {
	if i < len(s.first) {
		return s.first[i]
	}
	return s.more[i-len(s.first)]
}

func (s *keyStack) push(k span) {
	if s.n < len(s.first) {
		s.first[s.n] = k
	} else {
		s.more = append(s.more[:s.n-len(s.first)], k)
	}
	s.n++
}

// Valid reports whether b is exactly one JSON value. It agrees with json.Valid and is
// several times faster.
func Valid(b []byte) bool { return validJSON(b) }

func validJSON(b []byte) bool {
	var v validator
	return v.json(b)
}

func (v *validator) json(b []byte) bool {
	end, ok := v.value(b, skipSpace(b, 0), 0)
	return ok && skipSpace(b, end) == len(b)
}

func (v *validator) refuse(reason string) {
	if v.fail == nil {
		v.fail = &InputError{Reason: reason}
	}
}

// at adds a step to the path of a refusal found below it.
func (v *validator) at(step string) {
	if v.fail != nil {
		v.fail.path = append(v.fail.path, step)
	}
}

// value returns the index after the valid JSON value starting at b[i].
func (v *validator) value(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return v.str(b, i)
	case c == '{':
		return v.object(b, i, depth+1)
	case c == '[':
		return v.array(b, i, depth+1)
	case c == '-' || c >= '0' && c <= '9':
		return validNumber(b, i)
	case c == 't':
		return validLiteral(b, i, "true")
	case c == 'f':
		return validLiteral(b, i, "false")
	case c == 'n':
		return validLiteral(b, i, "null")
	}
	return 0, false
}

func validLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

func (v *validator) object(b []byte, i, depth int) (int, bool) {
	if depth > maxDepth {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	base := v.keys.n
	var seen map[string]struct{} // strict, once the object has more than maxListedKeys keys
	defer func() { v.keys.n = base }()
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, false
		}
		end, ok := v.str(b, i)
		if !ok {
			if v.fail != nil {
				v.fail.Reason += " in a key"
			}
			return 0, false
		}
		key := b[i+1 : end-1]
		if v.strict && !v.addKey(b, span{int32(i + 1), int32(end - 1)}, base, &seen) {
			return 0, false
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, false
		}
		if i, ok = v.value(b, skipSpace(b, i+1), depth); !ok {
			if v.fail != nil {
				v.at(string(key))
			}
			return 0, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case '}':
			return i + 1, true
		case ',':
			i = skipSpace(b, i+1)
		default:
			return 0, false
		}
	}
}

// addKey notes a key of the object whose keys start at v.keys.at(base), and refuses it when
// the object already has it. Keys are compared after unescaping ("a" and "\u0061" are the
// same key to every parser), byte for byte (parsers that match case-insensitively, like
// encoding/json's struct fields, are beyond this check: see docs/POLICY.md).
func (v *validator) addKey(b []byte, k span, base int, seen *map[string]struct{}) bool {
	raw := b[k.start:k.end]
	dup := false
	if *seen != nil {
		key := decodeKey(raw)
		_, dup = (*seen)[key]
		(*seen)[key] = struct{}{}
	} else {
		for i := base; i < v.keys.n && !dup; i++ {
			p := v.keys.at(i)
			dup = sameKey(b[p.start:p.end], raw)
		}
		if v.keys.push(k); v.keys.n-base > maxListedKeys {
			*seen = make(map[string]struct{}, 2*maxListedKeys)
			for i := base; i < v.keys.n; i++ {
				p := v.keys.at(i)
				(*seen)[decodeKey(b[p.start:p.end])] = struct{}{}
			}
			v.keys.n = base
		}
	}
	if dup {
		v.refuse("duplicate key " + strconv.Quote(decodeKey(raw)))
	}
	return !dup
}

// sameKey reports whether two raw keys are the same once decoded.
func sameKey(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if bytes.IndexByte(a, '\\') < 0 && bytes.IndexByte(b, '\\') < 0 {
		return false
	}
	return decodeKey(a) == decodeKey(b)
}

// decodeKey decodes a raw key that the validator has accepted.
func decodeKey(raw []byte) string {
	s, _ := unquote(raw)
	return s
}

func (v *validator) array(b []byte, i, depth int) (int, bool) {
	if depth > maxDepth {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for n := 0; ; n++ {
		var ok bool
		if i, ok = v.value(b, i, depth); !ok {
			if v.fail != nil {
				v.at("[" + strconv.Itoa(n) + "]")
			}
			return 0, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ']':
			return i + 1, true
		case ',':
			i = skipSpace(b, i+1)
		default:
			return 0, false
		}
	}
}

// str returns the index after the string starting at b[i] == '"'. Like encoding/json it
// accepts any byte ≥ 0x20 except '"' and '\'; strict, it also requires valid UTF-8 and
// refuses a \u escape of a lone UTF-16 surrogate (encoding/json reads one as U+FFFD,
// Python keeps it and then fails to encode it, JavaScript keeps it as is).
func (v *validator) str(b []byte, i int) (int, bool) {
	stop, high := &stopLax, uint64(0)
	if v.strict {
		stop, high = &stopStrict, hiBits
	}
	for i++; i < len(b); i++ {
		for i+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[i:]), high) {
			i += 8 // most of a string: eight bytes at a time
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		if !stop[c] {
			continue
		}
		switch {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c >= utf8.RuneSelf && v.strict:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				v.refuse("invalid UTF-8")
				return 0, false
			}
			i += size - 1
		case c == '\\':
			i++
			if i >= len(b) {
				return 0, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				r, ok := hex4(b, i+1)
				if !ok {
					return 0, false
				}
				i += 4
				if v.strict && r >= 0xd800 && r < 0xe000 {
					// A high surrogate must be followed by an escaped low one.
					lo, ok := rune(0), false
					if r < 0xdc00 && len(b)-i > 2 && b[i+1] == '\\' && b[i+2] == 'u' {
						lo, ok = hex4(b, i+3)
					}
					if !ok || lo < 0xdc00 || lo >= 0xe000 {
						v.refuse(`lone UTF-16 surrogate \u` + string(b[i-3:i+1]))
						return 0, false
					}
					i += 6
				}
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

const (
	loBits = 0x0101010101010101
	hiBits = 0x8080808080808080
)

// plain8 reports whether none of the eight bytes in w is a quote, a backslash, a control
// character, or (with high = hiBits) a non-ASCII byte.
func plain8(w, high uint64) bool {
	quote, backslash := w^(loBits*'"'), w^(loBits*'\\')
	special := (w-loBits*0x20)&^w | (quote-loBits)&^quote | (backslash-loBits)&^backslash
	return (special&hiBits | w&high) == 0
}

// stopLax and stopStrict are the bytes inside a string that str must look at: quote,
// backslash and control characters; strict, also every non-ASCII byte. Never written.
var stopLax, stopStrict = stopBytes(false), stopBytes(true)

func stopBytes(strict bool) (t [256]bool) {
	for c := range t {
		t[c] = c < 0x20 || c == '"' || c == '\\' || strict && c >= utf8.RuneSelf
	}
	return t
}

// hex4 decodes the four hex digits at b[i:]; ok is false when they are not all there.
func hex4(b []byte, i int) (rune, bool) {
	if len(b)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// validNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && isDigit(b[i]):
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return 0, false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return 0, false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, true
}
