package audit

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// decodeEventJSON decodes a journal record's JSON the way json.Unmarshal into a JSONEvent
// does, for what this hub's encoder writes: one object, no whitespace, known keys with string
// values (an integer for duration_ns). It reports false for anything else (null, unknown
// keys, whitespace, surrogate escapes, a malformed value), and the caller falls back to
// encoding/json. The shipper decodes every event once; with reflection that cost it more CPU
// than the store insert's statement. A fuzz test holds it equal to encoding/json.
func decodeEventJSON(body []byte) (store.AuditEvent, bool) {
	var e store.AuditEvent
	// One string for the whole record: fields without escapes are substrings of it.
	s := string(body)
	if len(s) < 2 || s[0] != '{' {
		return e, false
	}
	i := 1
	for first := true; ; first = false {
		if i < len(s) && s[i] == '}' && first {
			i++
			break
		}
		key, next, ok := scanString(s, i)
		if !ok || next >= len(s) || s[next] != ':' {
			return e, false
		}
		i = next + 1
		if i < len(s) && s[i] == '"' {
			var v string
			if v, i, ok = scanString(s, i); !ok || !setField(&e, key, v, s[next+1:i]) {
				return e, false
			}
		} else if key == "duration_ns" {
			if i, ok = scanInt(s, i, &e); !ok {
				return e, false
			}
		} else {
			return e, false
		}
		if i < len(s) && s[i] == ',' {
			i++
			continue
		}
		if i < len(s) && s[i] == '}' {
			i++
			break
		}
		return e, false
	}
	return e, i == len(s)
}

// setField sets the field named key to v; quoted is v's JSON form, for the time.
func setField(e *store.AuditEvent, key, v, quoted string) bool {
	var f *string
	switch key {
	case "time":
		var t time.Time
		if err := t.UnmarshalJSON([]byte(quoted)); err != nil {
			return false
		}
		e.Time = t.UTC()
		return true
	case "id":
		f = &e.ID
	case "kind":
		f = &e.Kind
	case "user_id":
		f = &e.UserID
	case "key_id":
		f = &e.KeyID
	case "caller":
		f = &e.Caller
	case "role":
		f = &e.Role
	case "application":
		f = &e.Application
	case "agent":
		f = &e.Agent
	case "backend":
		f = &e.Backend
	case "tool":
		f = &e.Tool
	case "risk":
		f = &e.Risk
	case "decision":
		f = &e.Decision
	case "rule":
		f = &e.Rule
	case "status":
		f = &e.Status
	case "error":
		f = &e.Error
	case "trace_id":
		f = &e.TraceID
	case "request_hash":
		f = &e.RequestHash
	case "response_hash":
		f = &e.ResponseHash
	case "request":
		f = &e.Request
	case "response":
		f = &e.Response
	case "action":
		f = &e.Action
	case "target":
		f = &e.Target
	case "detail":
		f = &e.Detail
	default:
		return false
	}
	*f = v
	return true
}

// scanInt reads duration_ns: an optional minus and digits without a leading zero, in range.
func scanInt(s string, i int, e *store.AuditEvent) (int, bool) {
	start := i
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == digits || (s[digits] == '0' && i-digits > 1) {
		return i, false
	}
	if i < len(s) && (s[i] == '.' || s[i] == 'e' || s[i] == 'E') {
		return i, false // a fraction or exponent: encoding/json refuses it for an int64
	}
	n, err := strconv.ParseInt(s[start:i], 10, 64)
	if err != nil {
		return i, false
	}
	e.Duration = time.Duration(n)
	return i, true
}

// scanString reads the JSON string at s[i] and returns its value and the index after it.
// Without escapes or invalid UTF-8 the value is a substring of s.
func scanString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	i++
	start := i
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return s[start:i], i + 1, true
		case c == '\\' || c >= utf8.RuneSelf:
			return unquoteSlow(s, start, i)
		case c < 0x20:
			return "", i, false
		}
		i++
	}
	return "", i, false
}

// unquoteSlow finishes a string that has escapes or non-ASCII bytes, from i on.
func unquoteSlow(s string, start, i int) (string, int, bool) {
	b := make([]byte, 0, len(s)-start)
	b = append(b, s[start:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return string(b), i + 1, true
		case c < 0x20:
			return "", i, false
		case c == '\\':
			if i+1 >= len(s) {
				return "", i, false
			}
			var ok bool
			if b, i, ok = unescape(b, s, i); !ok {
				return "", i, false
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError) // as encoding/json does
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return "", i, false
}

// unescape appends the escape at s[i] (a backslash) to b.
func unescape(b []byte, s string, i int) ([]byte, int, bool) {
	switch c := s[i+1]; c {
	case '"', '\\', '/':
		return append(b, c), i + 2, true
	case 'b':
		return append(b, '\b'), i + 2, true
	case 'f':
		return append(b, '\f'), i + 2, true
	case 'n':
		return append(b, '\n'), i + 2, true
	case 'r':
		return append(b, '\r'), i + 2, true
	case 't':
		return append(b, '\t'), i + 2, true
	case 'u':
		if i+6 > len(s) {
			return b, i, false
		}
		n, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
		if err != nil || s[i+2] == '+' || s[i+2] == '-' {
			return b, i, false
		}
		if n >= 0xD800 && n < 0xE000 {
			return b, i, false // surrogates: left to encoding/json's rules
		}
		return utf8.AppendRune(b, rune(n)), i + 6, true
	}
	return b, i, false
}
