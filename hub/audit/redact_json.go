package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// redactJSON appends a redacted copy of doc, which must be valid JSON (json.Valid), to out.
// It copies the document as written — key order, numbers, spacing — replacing the values of
// secret keys with "[REDACTED]" and redacting secrets inside strings, without building a
// tree: the hot path pays about one pass over the bytes.
func (r *Redactor) redactJSON(out, doc []byte) []byte {
	out, _ = r.value(out, doc, 0)
	return out
}

// value copies the value starting at doc[i] (after optional whitespace) and returns the
// index just past it.
func (r *Redactor) value(out, doc []byte, i int) ([]byte, int) {
	out, i = copySpace(out, doc, i)
	switch doc[i] {
	case '{':
		return r.object(out, doc, i)
	case '[':
		out = append(out, '[')
		i++
		next := flagNone // what the previous element, a command-line flag, says of this one
		for {
			out, i = copySpace(out, doc, i)
			if doc[i] == ']' {
				return append(out, ']'), i + 1
			}
			start := i
			if next != flagNone && doc[i] == '"' && flagValueSecret(next, doc[i:stringEnd(doc, i)]) {
				i = stringEnd(doc, i)
				out = append(out, `"`+Redacted+`"`...)
			} else {
				out, i = r.value(out, doc, i)
			}
			next = r.flag(doc[start:i])
			out, i = copySpace(out, doc, i)
			if doc[i] == ',' {
				out = append(out, ',')
				i++
			}
		}
	case '"':
		end := stringEnd(doc, i)
		return r.str(out, doc[i:end]), end
	default: // number, true, false, null
		j := i
		for j < len(doc) && !isDelim(doc[j]) {
			j++
		}
		return append(out, doc[i:j]...), j
	}
}

func (r *Redactor) object(out, doc []byte, i int) ([]byte, int) {
	out = append(out, '{')
	i++
	for {
		out, i = copySpace(out, doc, i)
		if doc[i] == '}' {
			return append(out, '}'), i + 1
		}
		end := stringEnd(doc, i)
		key := doc[i:end]
		out = r.str(out, key) // a secret can be a key too (a map keyed by token)
		out, i = copySpace(out, doc, end)
		out = append(out, ':')
		i++
		var vstart int
		if _, vstart = copySpace(nil, doc, i); r.secretKeyJSON(key) || doc[vstart] == '"' && r.stringSecretKey(key) {
			out, i = copySpace(out, doc, i)
			i = skipValue(doc, i)
			out = append(out, `"`+Redacted+`"`...)
		} else {
			out, i = r.value(out, doc, i)
		}
		out, i = copySpace(out, doc, i)
		if doc[i] == ',' {
			out = append(out, ',')
			i++
		}
	}
}

// Kinds of command-line flag in an argument list: ["--password", "x"], ["-u", "bob:pw"].
const (
	flagNone   = iota
	flagSecret // the next argument is a secret
	flagUser   // curl's -u / --user: the next argument is user:password
)

// flag says what the array element v, when it is a flag like "--token" or "-u", makes of
// the element after it.
func (r *Redactor) flag(v []byte) int {
	if len(v) < 4 || len(v) > 400 || v[0] != '"' || (v[1] != '-' && v[1] != '\\') {
		return flagNone
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return flagNone
	}
	return r.flagOf(s)
}

// flagOf is flag for a decoded string.
func (r *Redactor) flagOf(s string) int {
	switch {
	case len(s) > 64 || !strings.HasPrefix(s, "-") || strings.Contains(s, "="):
		return flagNone
	case s == "-u" || s == "--user":
		return flagUser
	case r.SecretName(s):
		return flagSecret
	}
	return flagNone
}

// flagValueSecret reports whether lit, the string after a flag of this kind, is a secret.
func flagValueSecret(kind int, lit []byte) bool {
	var s string
	return kind == flagSecret || json.Unmarshal(lit, &s) == nil && userPassword(s)
}

// userPassword reports a user:password, not a uid:gid.
func userPassword(s string) bool {
	return strings.Contains(s, ":") && !numericPair.MatchString(" "+s)
}

// str copies a JSON string literal (quotes included), redacted when it may hold a secret.
func (r *Redactor) str(out, lit []byte) []byte {
	body := lit[1 : len(lit)-1]
	simple := bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body)
	if simple && !r.mayHoldSecret(body) {
		return append(out, lit...)
	}
	var s string
	if simple {
		s = string(body)
	} else if json.Unmarshal(lit, &s) != nil { // cannot fail on valid JSON
		return append(out, `""`...)
	}
	red := r.Text(s)
	if red == s && utf8.Valid(body) {
		return append(out, lit...)
	}
	return append(out, marshal(red)...)
}

// secretKeyJSON is secretKey for a key as a JSON literal.
func (r *Redactor) secretKeyJSON(lit []byte) bool {
	body := lit[1 : len(lit)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		var buf [64]byte
		n := normKeyBytes(buf[:0], body)
		if r.keys[string(n)] || secretKeysExact[string(n)] {
			return true
		}
		for _, s := range secretKeySuffixes {
			if bytes.HasSuffix(n, []byte(s)) {
				return true
			}
		}
		return false
	}
	var k string
	json.Unmarshal(lit, &k)
	return r.secretKey(k)
}

// stringSecretKey reports a key whose string value is a credential (stringSecretKeySuffix).
func (r *Redactor) stringSecretKey(lit []byte) bool {
	body := lit[1 : len(lit)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		var buf [64]byte
		return bytes.HasSuffix(normKeyBytes(buf[:0], body), []byte(stringSecretKeySuffix))
	}
	var k string
	json.Unmarshal(lit, &k)
	return strings.HasSuffix(normKey(k), stringSecretKeySuffix)
}

// normKeyBytes is normKey for ASCII keys (others are compared as they are, lower-cased
// byte by byte, which only matters for keys no rule names).
func normKeyBytes(dst, k []byte) []byte {
	for _, c := range k {
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// mayHoldSecret is a cheap filter before Text: whether any pattern could match.
func (r *Redactor) mayHoldSecret(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	for _, re := range r.patterns {
		if re.Match(b) {
			return true
		}
	}
	var buf [256]byte
	lower := buf[:0]
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	for _, t := range allTriggers {
		if bytes.Contains(lower, t) {
			return true
		}
	}
	return false
}

var allTriggers = func() [][]byte {
	var ts [][]byte
	for _, p := range secretPatterns {
		for _, t := range p.triggers {
			ts = append(ts, []byte(t))
		}
	}
	return ts
}()

func copySpace(out, doc []byte, i int) ([]byte, int) {
	j := i
	for j < len(doc) && (doc[j] == ' ' || doc[j] == '\t' || doc[j] == '\n' || doc[j] == '\r') {
		j++
	}
	return append(out, doc[i:j]...), j
}

// stringEnd returns the index just past the string literal starting at doc[i].
func stringEnd(doc []byte, i int) int {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(doc)
}

func isDelim(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// skipValue returns the index just past the value starting at doc[i].
func skipValue(doc []byte, i int) int {
	switch doc[i] {
	case '"':
		return stringEnd(doc, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(doc); j++ {
			switch doc[j] {
			case '"':
				j = stringEnd(doc, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(doc)
	default:
		j := i
		for j < len(doc) && !isDelim(doc[j]) {
			j++
		}
		return j
	}
}
