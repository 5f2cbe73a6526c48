package connector

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// toolName returns the "name" member of a tools/call's params object, or "" when there is
// none. It scans the bytes without decoding them, because it runs on every call when status
// tracking is on; a name with escapes, or anything unusual, goes through encoding/json.
func toolName(params []byte) string {
	name := ""
	depth := 0
	wantKey := false // the next string at depth 1 is a member name
	for i := 0; i < len(params); i++ {
		switch c := params[i]; c {
		case '{', '[':
			depth++
			wantKey = depth == 1 && c == '{'
		case '}', ']':
			depth--
		case ',':
			wantKey = depth == 1
		case '"':
			end := stringEnd(params, i)
			if end < 0 {
				return ""
			}
			if wantKey && isName(params[i:end+1]) {
				name = memberString(params, end+1) // the last one wins, as in encoding/json
			}
			wantKey = false
			i = end
		}
	}
	return name
}

// stringEnd returns the index of the quote closing the string that starts at i, or -1.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

// memberString reads `: "value"` at b[i:] and returns value, or "" when it is not a string.
func memberString(b []byte, i int) string {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i >= len(b) || b[i] != ':' {
		return ""
	}
	for i++; i < len(b) && isSpace(b[i]); i++ {
	}
	if i >= len(b) || b[i] != '"' {
		return ""
	}
	end := stringEnd(b, i)
	if end < 0 {
		return ""
	}
	return unquote(b[i : end+1])
}

// isName reports whether the string literal raw is "name".
func isName(raw []byte) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == `"name"`
	}
	return unquote(raw) == "name"
}

// unquote returns the JSON string literal raw (quotes included) decoded.
func unquote(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
