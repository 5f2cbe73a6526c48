package audit

// The redaction as it was before the single pass (json.Valid, then a copying pass): the
// oracle that FuzzPayloadMatchesOld holds Payload to, byte for byte. Do not change it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

func (r *Redactor) oldPayload(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	if len(raw) > maxParseBytes {
		return fmt.Sprintf(`{"truncated":true,"size":%d,"prefix":""}`, len(raw))
	}
	var out []byte
	if json.Valid(raw) {
		bp := recordBufs.Get().(*[]byte)
		out = r.oldRedactJSON((*bp)[:0], raw)
		defer func() { *bp = out[:0]; recordBufs.Put(bp) }()
	} else {
		out = marshal(r.oldText(string(raw)))
	}
	if len(out) <= r.max {
		return string(out)
	}
	return truncated(len(raw), out, r.max)
}

// oldRedactJSON appends a redacted copy of doc, which must be valid JSON (json.Valid), to out.
// It copies the document as written — key order, numbers, spacing — replacing the values of
// secret keys with "[REDACTED]" and redacting secrets inside strings, without building a
// tree: the hot path pays about one pass over the bytes.
func (r *Redactor) oldRedactJSON(out, doc []byte) []byte {
	out, _ = r.oldValue(out, doc, 0)
	return out
}

// oldValue copies the oldValue starting at doc[i] (after optional whitespace) and returns the
// index just past it.
func (r *Redactor) oldValue(out, doc []byte, i int) ([]byte, int) {
	out, i = oldCopySpace(out, doc, i)
	switch doc[i] {
	case '{':
		return r.oldObject(out, doc, i)
	case '[':
		out = append(out, '[')
		i++
		next := flagNone // what the previous element, a command-line oldFlag, says of this one
		for {
			out, i = oldCopySpace(out, doc, i)
			if doc[i] == ']' {
				return append(out, ']'), i + 1
			}
			start := i
			if next != flagNone && doc[i] == '"' && oldFlagValueSecret(next, doc[i:oldStringEnd(doc, i)]) {
				i = oldStringEnd(doc, i)
				out = append(out, `"`+Redacted+`"`...)
			} else {
				out, i = r.oldValue(out, doc, i)
			}
			next = r.oldFlag(doc[start:i])
			out, i = oldCopySpace(out, doc, i)
			if doc[i] == ',' {
				out = append(out, ',')
				i++
			}
		}
	case '"':
		end := oldStringEnd(doc, i)
		return r.oldStr(out, doc[i:end]), end
	default: // number, true, false, null
		j := i
		for j < len(doc) && !oldIsDelim(doc[j]) {
			j++
		}
		return append(out, doc[i:j]...), j
	}
}

func (r *Redactor) oldObject(out, doc []byte, i int) ([]byte, int) {
	out = append(out, '{')
	i++
	for {
		out, i = oldCopySpace(out, doc, i)
		if doc[i] == '}' {
			return append(out, '}'), i + 1
		}
		end := oldStringEnd(doc, i)
		key := doc[i:end]
		out = r.oldStr(out, key) // a secret can be a key too (a map keyed by token)
		out, i = oldCopySpace(out, doc, end)
		out = append(out, ':')
		i++
		var vstart int
		if _, vstart = oldCopySpace(nil, doc, i); r.oldSecretKeyJSON(key) || doc[vstart] == '"' && r.oldStringSecretKey(key) {
			out, i = oldCopySpace(out, doc, i)
			i = oldSkipValue(doc, i)
			out = append(out, `"`+Redacted+`"`...)
		} else {
			out, i = r.oldValue(out, doc, i)
		}
		out, i = oldCopySpace(out, doc, i)
		if doc[i] == ',' {
			out = append(out, ',')
			i++
		}
	}
}

// oldFlag says what the array element v, when it is a oldFlag like "--token" or "-u", makes of
// the element after it.
func (r *Redactor) oldFlag(v []byte) int {
	if len(v) < 4 || len(v) > 400 || v[0] != '"' || (v[1] != '-' && v[1] != '\\') {
		return flagNone
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return flagNone
	}
	return r.flagOf(s)
}

// oldFlagValueSecret reports whether lit, the string after a oldFlag of this kind, is a secret.
func oldFlagValueSecret(kind int, lit []byte) bool {
	var s string
	return kind == flagSecret || json.Unmarshal(lit, &s) == nil && userPassword(s)
}

// oldStr copies a JSON string literal (quotes included), redacted when it may hold a secret.
func (r *Redactor) oldStr(out, lit []byte) []byte {
	body := lit[1 : len(lit)-1]
	simple := bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body)
	if simple && !r.oldMayHoldSecret(body) {
		return append(out, lit...)
	}
	var s string
	if simple {
		s = string(body)
	} else if json.Unmarshal(lit, &s) != nil { // cannot fail on valid JSON
		return append(out, `""`...)
	}
	red := r.oldText(s)
	if red == s && utf8.Valid(body) {
		return append(out, lit...)
	}
	return append(out, marshal(red)...)
}

// oldSecretKeyJSON is secretKey for a key as a JSON literal.
func (r *Redactor) oldSecretKeyJSON(lit []byte) bool {
	body := lit[1 : len(lit)-1]
	if bytes.IndexByte(body, '\\') < 0 && isASCII(body) { // fixed since: see TestRedactionFoldsLikeThePatterns
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

// oldStringSecretKey reports a key whose string oldValue is a credential (stringSecretKeySuffix).
func (r *Redactor) oldStringSecretKey(lit []byte) bool {
	body := lit[1 : len(lit)-1]
	if bytes.IndexByte(body, '\\') < 0 && isASCII(body) { // fixed since: see TestRedactionFoldsLikeThePatterns
		var buf [64]byte
		return bytes.HasSuffix(normKeyBytes(buf[:0], body), []byte(stringSecretKeySuffix))
	}
	var k string
	json.Unmarshal(lit, &k)
	return strings.HasSuffix(normKey(k), stringSecretKeySuffix)
}

// oldMayHoldSecret is a cheap filter before Text: whether any pattern could match.
func (r *Redactor) oldMayHoldSecret(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	for _, re := range r.patterns {
		if re.Match(b) {
			return true
		}
	}
	if bytes.Contains(b, []byte("\u212a")) || bytes.Contains(b, []byte("\u017f")) { // fixed since: TestRedactionFoldsLikeThePatterns
		return true
	}
	var buf [256]byte
	lower := buf[:0]
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	for _, t := range oldAllTriggers {
		if bytes.Contains(lower, t) {
			return true
		}
	}
	return false
}

var oldAllTriggers = func() [][]byte {
	var ts [][]byte
	for _, p := range secretPatterns {
		for _, t := range p.triggers {
			ts = append(ts, []byte(t))
		}
	}
	return ts
}()

func oldCopySpace(out, doc []byte, i int) ([]byte, int) {
	j := i
	for j < len(doc) && (doc[j] == ' ' || doc[j] == '\t' || doc[j] == '\n' || doc[j] == '\r') {
		j++
	}
	return append(out, doc[i:j]...), j
}

// oldStringEnd returns the index just past the string literal starting at doc[i].
func oldStringEnd(doc []byte, i int) int {
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

func oldIsDelim(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// oldSkipValue returns the index just past the oldValue starting at doc[i].
func oldSkipValue(doc []byte, i int) int {
	switch doc[i] {
	case '"':
		return oldStringEnd(doc, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(doc); j++ {
			switch doc[j] {
			case '"':
				j = oldStringEnd(doc, j) - 1
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
		for j < len(doc) && !oldIsDelim(doc[j]) {
			j++
		}
		return j
	}
}

// oldText is Text as it was: every pattern whose trigger appears is run.
func (r *Redactor) oldText(s string) string {
	if len(s) < 8 {
		return s
	}
	lower := foldLower(s) // was strings.ToLower: TestRedactionFoldsLikeThePatterns
	for _, p := range secretPatterns {
		for _, t := range p.triggers {
			if strings.Contains(lower, t) {
				if p.keep == nil {
					s = p.re.ReplaceAllString(s, p.repl)
				} else {
					s = p.re.ReplaceAllStringFunc(s, func(m string) string {
						if p.keep(m) {
							return m
						}
						return p.re.ReplaceAllString(m, p.repl)
					})
				}
				break
			}
		}
	}
	for _, re := range r.patterns {
		s = re.ReplaceAllString(s, Redacted)
	}
	return s
}
