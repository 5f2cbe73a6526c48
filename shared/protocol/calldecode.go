package protocol

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// A hand-written decoder for the Call frame, the one frame every call's agent decodes: with
// encoding/json's reflection it cost about a tenth of the agent's CPU under load.
//
// It is identical to json.Unmarshal by construction, not by imitation: it only accepts the
// shapes the hub writes (json.Marshal of a Call: known keys spelled exactly, strings without
// escapes, an integer deadline, objects for the raw members) and reports false for anything
// else, and Decode then runs json.Unmarshal as before. So it never has to reproduce
// encoding/json's corner cases (case-insensitive keys, escapes, null, number conversions,
// errors); FuzzDecodeCall holds the two equal.

// decodeCallFast decodes payload into *c, which must be the zero Call, and reports whether
// it could; when it reports false *c is unchanged.
func decodeCallFast(payload []byte, c *Call) bool {
	// One strict pass first, the same one json.Unmarshal makes (mcp.Valid agrees with
	// json.Valid, depth limit included), so that the scan below may trust the structure and
	// an invalid payload goes to json.Unmarshal for its error.
	if !mcp.Valid(payload) {
		return false
	}
	var out Call
	ok := scanObject(payload, func(key, val []byte) bool {
		switch string(key) {
		case "backend":
			return plainString(val, &out.Backend)
		case "message":
			return rawObject(val, &out.Message)
		case "caller":
			return decodeCaller(val, &out.Caller)
		case "deadline":
			return plainInt(val, &out.Deadline)
		case "passInputRequired":
			return plainBool(val, &out.PassInputRequired)
		case "clientCapabilities":
			return rawObject(val, &out.ClientCapabilities)
		case "logLevel":
			return plainString(val, &out.LogLevel)
		}
		return false // an unknown key, or a known one spelled otherwise: json.Unmarshal's call
	})
	if !ok {
		return false
	}
	*c = out
	return true
}

// decodeCaller decodes the caller object into *c in place: a repeated "caller" merges, as
// json.Unmarshal does when it decodes twice into the same struct.
func decodeCaller(val []byte, c *Caller) bool {
	return scanObject(val, func(key, v []byte) bool {
		switch string(key) {
		case "userId":
			return plainString(v, &c.UserID)
		case "name":
			return plainString(v, &c.Name)
		case "role":
			return plainString(v, &c.Role)
		case "keyId":
			return plainString(v, &c.KeyID)
		case "application":
			return plainString(v, &c.Application)
		case "session":
			return plainString(v, &c.Session)
		}
		return false
	})
}

// isCallZero reports whether c is the zero Call. Only then is the fast path taken: decoding
// into a used Call merges into it in ways (RawMessage reusing its array) not worth copying.
func isCallZero(c *Call) bool {
	return c.Backend == "" && c.Message == nil && c.Caller == (Caller{}) && c.Deadline == 0 &&
		!c.PassInputRequired && c.ClientCapabilities == nil && c.LogLevel == ""
}

// The helpers below work on valid JSON only (decodeCallFast checked it) and report false for
// whatever they leave to json.Unmarshal.

func space(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && space(b[i]) {
		i++
	}
	return i
}

// scanObject calls member for each member of the JSON object b (surrounding whitespace
// allowed) with its raw key content and raw value, stopping at the first false. Keys with
// escapes are passed raw, so they match no known name and fall back.
func scanObject(b []byte, member func(key, val []byte) bool) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if b[i] == '}' {
		return true
	}
	for {
		kend := skipValue(b, i) // b[i] is the key's opening quote
		key := b[i+1 : kend-1]
		vs := skipSpace(b, skipSpace(b, kend)+1) // past the colon
		ve := skipValue(b, vs)
		if !member(key, b[vs:ve]) {
			return false
		}
		i = skipSpace(b, ve)
		if b[i] == '}' {
			return true
		}
		i = skipSpace(b, i+1) // past the comma
	}
}

// skipValue returns the index after the value starting at b[i], which is valid JSON.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		for i++; ; i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = skipValue(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) && !space(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
		i++
	}
	return i
}

// plainString sets *s from a string literal with no escapes and valid UTF-8, which
// encoding/json returns as it stands.
func plainString(v []byte, s *string) bool {
	if v[0] != '"' {
		return false
	}
	raw := v[1 : len(v)-1]
	ascii := true
	for _, c := range raw {
		if c == '\\' {
			return false // an escape anywhere, also after a multi-byte character
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(raw) {
		return false // encoding/json would replace the bad bytes with U+FFFD
	}
	*s = string(raw)
	return true
}

// rawObject copies an object value into *m, as json.RawMessage's UnmarshalJSON does.
// Other values (null, arrays, scalars) are left to json.Unmarshal.
func rawObject(v []byte, m *json.RawMessage) bool {
	if v[0] != '{' {
		return false
	}
	*m = append((*m)[:0], v...)
	return true
}

// plainInt sets *n from an integer literal of at most 18 digits, which cannot overflow;
// fractions, exponents and longer numbers are left to json.Unmarshal.
func plainInt(v []byte, n *int64) bool {
	neg := v[0] == '-'
	digits := v
	if neg {
		digits = v[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return false
	}
	var x int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
		x = x*10 + int64(c-'0')
	}
	if neg {
		x = -x
	}
	*n = x
	return true
}

// plainBool sets *b from true or false; null is left to json.Unmarshal.
func plainBool(v []byte, b *bool) bool {
	switch string(v) {
	case "true":
		*b = true
	case "false":
		*b = false
	default:
		return false
	}
	return true
}
