package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrNotObject is returned by SetStringField when its input is not a JSON object.
var ErrNotObject = errors.New("not a JSON object")

// The scanner below walks JSON structure without decoding it. It never panics and never
// loops on malformed input (it reports failure instead), but it does not validate
// everything json.Valid does: callers that need strict validity check that first.

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at b[i] == '"'.
func skipString(b []byte, i int) (int, bool) {
	// The next quote, found with bytes.IndexByte (many bytes a step), ends the string unless
	// an odd number of backslashes precede it. Escaped quotes close together (JSON quoted
	// inside a string, as tools return it) make that a short step each time: from the first
	// one found that close, the rest is read a byte at a time.
	for j := i + 1; j < len(b); {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return 0, false
		}
		q += j
		k := q - 1
		for k > i && b[k] == '\\' {
			k--
		}
		if (q-1-k)%2 == 0 {
			return q + 1, true
		}
		if q-j < 32 {
			return skipStringBytes(b, q)
		}
		j = q + 1
	}
	return 0, false
}

// skipStringBytes is skipString a byte at a time, from b[i] (the opening quote, or a quote
// inside the string that a backslash escapes).
func skipStringBytes(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipValue returns the index after the JSON value that starts at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	default:
		start := i
		for i < len(b) && !isSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ':' {
			i++
		}
		return i, i > start
	}
}

// objIter iterates over the members of a JSON object without allocating.
type objIter struct {
	b   []byte
	i   int
	err bool
}

// newObjIter starts iterating over the object b; ok is false when b is not an object.
func newObjIter(b []byte) (objIter, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return objIter{}, false
	}
	return objIter{b: b, i: i + 1}, true
}

// next returns the next member: its key as raw string content (between the quotes,
// escapes untouched) and the byte offsets of its value.
func (it *objIter) next() (key []byte, vs, ve int, ok bool) {
	b := it.b
	i := skipSpace(b, it.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		it.err = i >= len(b) || b[i] != '}'
		return nil, 0, 0, false
	}
	kend, ok := skipString(b, i)
	if !ok {
		it.err = true
		return nil, 0, 0, false
	}
	key = b[i+1 : kend-1]
	i = skipSpace(b, kend)
	if i >= len(b) || b[i] != ':' {
		it.err = true
		return nil, 0, 0, false
	}
	vs = skipSpace(b, i+1)
	ve, ok = skipValue(b, vs)
	if !ok {
		it.err = true
		return nil, 0, 0, false
	}
	it.i = ve
	return key, vs, ve, true
}

// keyIs reports whether the raw key content equals key once unescaped.
func keyIs(raw []byte, key string) bool {
	if string(raw) == key {
		return true
	}
	for _, c := range raw {
		if c == '\\' {
			s, ok := unquote(raw)
			return ok && s == key
		}
	}
	return false
}

// isPlain reports whether raw, the content of a JSON string, is printable ASCII without
// escapes, so that it reads as itself.
func isPlain(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' || c == '"' || c < 0x20 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// unquote decodes the content of a JSON string (without its quotes), as json.Unmarshal
// does; false when it is not one.
func unquote(raw []byte) (string, bool) {
	if isPlain(raw) {
		return string(raw), true
	}
	if n, ok := stringBody(raw); !ok || n != len(raw) {
		return "", false
	}
	return UnquoteChecked(raw), true
}

// StringEnd returns the index just past the string literal starting at doc[i] (a '"'), or
// -1 when it is not a JSON string: unterminated, a control character, or a bad escape.
// Bytes that are not UTF-8 pass, as they do for json.Valid.
func StringEnd(doc []byte, i int) int {
	body := doc[i+1:]
	n, ok := stringBody(body)
	if !ok || n == len(body) { // no closing quote
		return -1
	}
	return i + 1 + n + 1
}

// stringBody returns the length of the string content at the start of b: up to its first
// quote that no backslash escapes, or all of b when there is none. ok is false at a control
// character or a bad escape.
func stringBody(b []byte) (n int, ok bool) {
	for j := 0; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			if j++; j >= len(b) {
				return 0, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if _, ok := hex4(b, j+1); !ok {
					return 0, false
				}
				j += 4
			default:
				return 0, false
			}
		}
	}
	return len(b), true
}

// NumberEnd returns the index just past the JSON number at doc[i], or -1.
func NumberEnd(doc []byte, i int) int {
	digits := func(i int) int { // one or more
		j := i
		for j < len(doc) && '0' <= doc[j] && doc[j] <= '9' {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
	if i < len(doc) && doc[i] == '-' {
		i++
	}
	switch {
	case i >= len(doc):
		return -1
	case doc[i] == '0':
		i++
	default:
		if i = digits(i); i < 0 {
			return -1
		}
	}
	if i < len(doc) && doc[i] == '.' {
		if i = digits(i + 1); i < 0 {
			return -1
		}
	}
	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			i++
		}
		if i = digits(i); i < 0 {
			return -1
		}
	}
	return i
}

// UnquoteChecked decodes body, the content of a JSON string literal (without its quotes)
// whose escapes StringEnd (or another scanner) has already checked, as encoding/json does:
// an invalid UTF-8 byte or a lone surrogate becomes U+FFFD. It makes one allocation, and
// none for an empty body.
func UnquoteChecked(body []byte) string {
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body) // nothing to decode
	}
	var out strings.Builder // its String does not copy
	out.Grow(len(body))
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			switch c := body[i]; c {
			case 'b':
				out.WriteByte('\b')
			case 'f':
				out.WriteByte('\f')
			case 'n':
				out.WriteByte('\n')
			case 'r':
				out.WriteByte('\r')
			case 't':
				out.WriteByte('\t')
			case 'u':
				r, ok := hex4(body, i+1)
				if !ok {
					r = utf8.RuneError
				}
				i += 5
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+1 < len(body) && body[i] == '\\' && body[i+1] == 'u' {
						if lo, ok := hex4(body, i+2); ok {
							r2 = lo
						}
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						out.WriteRune(d)
						i += 6
						continue
					}
					r = utf8.RuneError
				}
				out.WriteRune(r)
				continue
			default: // '"', '\\', '/'
				out.WriteByte(c)
			}
			i++
		case c < utf8.RuneSelf:
			out.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRune(body[i:])
			out.WriteRune(r)
			i += n
		}
	}
	return out.String()
}

// rawString decodes v, which must be a JSON string literal.
func rawString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	return unquote(v[1 : len(v)-1])
}

// StringField returns the value of the top-level member key of the JSON object obj when
// that value is a string. With duplicate keys the last one counts, as in encoding/json.
func StringField(obj []byte, key string) (string, bool) {
	v, ok := Field(obj, key)
	if !ok {
		return "", false
	}
	return rawString(v)
}

// Field returns the raw value of the top-level member key of the JSON object obj (the last
// one when the key repeats). The result aliases obj.
func Field(obj []byte, key string) ([]byte, bool) {
	it, ok := newObjIter(obj)
	if !ok {
		return nil, false
	}
	var val []byte
	found := false
	for {
		k, vs, ve, ok := it.next()
		if !ok {
			break
		}
		if keyIs(k, key) {
			val, found = obj[vs:ve], true
		}
	}
	if it.err {
		return nil, false
	}
	return val, found
}

// SetStringField returns a copy of the JSON object obj in which every top-level member key
// has the string value val (added at the end when absent). All other bytes are kept as
// they were, so the rest of the object passes through unchanged.
func SetStringField(obj []byte, key, val string) ([]byte, error) {
	it, ok := newObjIter(obj)
	if !ok {
		return nil, ErrNotObject
	}
	out := make([]byte, 0, len(obj)+len(key)+len(val)+8)
	last, found := 0, false
	for {
		k, vs, ve, ok := it.next()
		if !ok {
			break
		}
		if keyIs(k, key) {
			out = AppendString(append(out, obj[last:vs]...), val)
			last, found = ve, true
		}
	}
	if it.err {
		return nil, fmt.Errorf("set %q: %w", key, ErrNotObject)
	}
	if found {
		return append(out, obj[last:]...), nil
	}
	return appendMember(out, obj, key, val)
}

// appendMember inserts "key":"val" before the closing brace of obj.
func appendMember(out, obj []byte, key, val string) ([]byte, error) {
	end := len(obj) - 1
	for end >= 0 && isSpace(obj[end]) {
		end--
	}
	if end < 0 || obj[end] != '}' {
		return nil, fmt.Errorf("set %q: %w", key, ErrNotObject)
	}
	inner := end - 1
	for inner >= 0 && isSpace(obj[inner]) {
		inner--
	}
	out = append(out[:0], obj[:end]...)
	if inner >= 0 && obj[inner] != '{' {
		out = append(out, ',')
	}
	out = AppendString(out, key)
	out = AppendString(append(out, ':'), val)
	return append(out, obj[end:]...), nil
}

// Member is one member of a JSON object: a key and its raw value.
type Member struct {
	Key   string
	Value json.RawMessage
}

// MergeField returns a copy of the JSON object obj (empty or null counts as {}) in which
// every top-level member key holds an object: the members of its current value (when that
// is an object) whose keys set does not name, kept as they were, then set's members in
// order. Without such a member one is added at the end. Everything else in obj passes
// through unchanged, byte for byte.
func MergeField(obj []byte, key string, set []Member) ([]byte, error) {
	if t := bytes.TrimSpace(obj); len(t) == 0 || string(t) == "null" {
		obj = []byte("{}")
	}
	it, ok := newObjIter(obj)
	if !ok {
		return nil, ErrNotObject
	}
	size := len(obj) + len(key) + 16
	for _, m := range set {
		size += len(m.Key) + len(m.Value) + 4
	}
	out := make([]byte, 0, size)
	last, found := 0, false
	for {
		k, vs, ve, ok := it.next()
		if !ok {
			break
		}
		if keyIs(k, key) {
			out = appendMerged(append(out, obj[last:vs]...), obj[vs:ve], set)
			last, found = ve, true
		}
	}
	if it.err {
		return nil, fmt.Errorf("merge %q: %w", key, ErrNotObject)
	}
	if found {
		return append(out, obj[last:]...), nil
	}
	end := len(obj) - 1
	for end >= 0 && isSpace(obj[end]) {
		end--
	}
	inner := end - 1
	for inner >= 0 && isSpace(obj[inner]) {
		inner--
	}
	out = append(out, obj[:end]...)
	if inner >= 0 && obj[inner] != '{' {
		out = append(out, ',')
	}
	out = appendMerged(append(AppendString(out, key), ':'), nil, set)
	return append(out, obj[end:]...), nil
}

// appendMerged appends the object of cur's members not named in set, then set's.
func appendMerged(out, cur []byte, set []Member) []byte {
	out = append(out, '{')
	n := 0
	if it, ok := newObjIter(cur); ok {
		for {
			k, vs, ve, ok := it.next()
			if !ok {
				break
			}
			if slices.ContainsFunc(set, func(m Member) bool { return keyIs(k, m.Key) }) {
				continue
			}
			if n > 0 {
				out = append(out, ',')
			}
			out = append(append(append(append(out, '"'), k...), '"', ':'), cur[vs:ve]...)
			n++
		}
	}
	for _, m := range set {
		if n > 0 {
			out = append(out, ',')
		}
		out = append(append(AppendString(out, m.Key), ':'), m.Value...)
		n++
	}
	return append(out, '}')
}
