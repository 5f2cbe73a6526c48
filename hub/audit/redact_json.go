package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// maxJSONDepth is encoding/json's nesting limit: a deeper document is not JSON to json.Valid,
// so it is not to redactJSON either (it is then stored as a redacted string, as before).
const maxJSONDepth = 10000

// redactedLit is what replaces a secret value.
var redactedLit = []byte(`"` + Redacted + `"`)

// redactJSON checks that doc is JSON (as json.Valid would) and redacts it in the same pass:
// it copies the document as written — key order, numbers, spacing — replacing the values of
// secret keys with "[REDACTED]" and redacting secrets inside strings, without building a
// tree. Nothing is copied until the first change: a document with nothing to redact (most
// calls) costs one read of its bytes, and changed reports whether out holds a copy (else the
// result is doc itself). ok is false when doc is not JSON.
func (r *Redactor) redactJSON(out, doc []byte) (res []byte, changed, ok bool) {
	s := redaction{r: r, doc: doc, out: out}
	i := s.value(s.space(0), 0, true)
	if i < 0 || s.space(i) != len(doc) {
		return out, false, false
	}
	if !s.changed {
		return out, false, true
	}
	return append(s.out, doc[s.done:]...), true, true
}

// redaction is one pass of redactJSON over doc. Every index function returns the index just
// past what it read, or -1 when doc is not JSON there.
type redaction struct {
	r       *Redactor
	doc     []byte
	out     []byte // doc[:done] with its changes, once changed
	done    int
	changed bool
}

// replace makes doc[start:end] read as repl in the result.
func (s *redaction) replace(start, end int, repl []byte) {
	s.out = append(append(s.out, s.doc[s.done:start]...), repl...)
	s.done, s.changed = end, true
}

func (s *redaction) space(i int) int {
	for i < len(s.doc) {
		switch s.doc[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value reads the value at doc[i] (no space before it), redacting it when red.
func (s *redaction) value(i, depth int, red bool) int {
	if i < 0 || i >= len(s.doc) {
		return -1
	}
	switch c := s.doc[i]; c {
	case '{', '[':
		if depth >= maxJSONDepth {
			return -1
		}
		if c == '{' {
			return s.object(i, depth+1, red)
		}
		return s.array(i, depth+1, red)
	case '"':
		end := mcp.StringEnd(s.doc, i)
		if end > 0 && red {
			s.str(i, end)
		}
		return end
	case 't':
		return s.literal(i, "true")
	case 'f':
		return s.literal(i, "false")
	case 'n':
		return s.literal(i, "null")
	}
	return mcp.NumberEnd(s.doc, i)
}

func (s *redaction) literal(i int, lit string) int {
	if !bytes.HasPrefix(s.doc[i:], []byte(lit)) {
		return -1
	}
	return i + len(lit)
}

func (s *redaction) object(i, depth int, red bool) int {
	doc := s.doc
	if i = s.space(i + 1); i < len(doc) && doc[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(doc) || doc[i] != '"' {
			return -1
		}
		end := mcp.StringEnd(doc, i)
		if end < 0 {
			return -1
		}
		key := doc[i:end]
		if red {
			s.str(i, end) // a secret can be a key too (a map keyed by token)
		}
		if i = s.space(end); i >= len(doc) || doc[i] != ':' {
			return -1
		}
		if i = s.space(i + 1); i >= len(doc) {
			return -1
		}
		if red && (s.r.secretKeyJSON(key) || doc[i] == '"' && s.r.stringSecretKey(key)) {
			start := i
			if i = s.value(i, depth, false); i < 0 {
				return -1
			}
			s.replace(start, i, redactedLit)
		} else if i = s.value(i, depth, red); i < 0 {
			return -1
		}
		var closed bool
		if i, closed = s.after(i, '}'); closed {
			return i
		}
	}
}

// after reads what follows a member or an element: a ',' (it returns the next one's start)
// or closer (it returns the index after it, and true). Anything else is -1, true.
func (s *redaction) after(i int, closer byte) (int, bool) {
	if i = s.space(i); i >= len(s.doc) {
		return -1, true
	}
	switch s.doc[i] {
	case ',':
		return s.space(i + 1), false
	case closer:
		return i + 1, true
	}
	return -1, true
}

func (s *redaction) array(i, depth int, red bool) int {
	doc := s.doc
	if i = s.space(i + 1); i < len(doc) && doc[i] == ']' {
		return i + 1
	}
	next := flagNone // what the previous element, a command-line flag, says of this one
	for {
		start := i
		if red && next != flagNone && i < len(doc) && doc[i] == '"' {
			end := mcp.StringEnd(doc, i)
			if end < 0 {
				return -1
			}
			if flagValueSecret(next, doc[i:end]) {
				s.replace(i, end, redactedLit)
				i = end
			} else {
				i = s.value(i, depth, red)
			}
		} else {
			i = s.value(i, depth, red)
		}
		if i < 0 {
			return -1
		}
		if red {
			next = s.r.flag(doc[start:i])
		}
		var closed bool
		if i, closed = s.after(i, ']'); closed {
			return i
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
	return kind == flagSecret || userPassword(mcp.UnquoteChecked(lit[1:len(lit)-1]))
}

// userPassword reports a user:password, not a uid:gid.
func userPassword(s string) bool {
	return strings.Contains(s, ":") && !numericPair.MatchString(" "+s)
}

// str redacts the JSON string literal doc[start:end] (quotes included) when it holds a
// secret.
func (s *redaction) str(start, end int) {
	lit := s.doc[start:end]
	body := lit[1 : len(lit)-1]
	simple := bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body)
	if simple && !s.r.mayHoldSecret(body) {
		return
	}
	text := mcp.UnquoteChecked(body) // body itself when simple
	red := s.r.Text(text)
	if red == text && utf8.Valid(body) {
		return
	}
	s.replace(start, end, marshal(red))
}

// secretKeyJSON is secretKey for a key as a JSON literal.
func (r *Redactor) secretKeyJSON(lit []byte) bool {
	body := lit[1 : len(lit)-1]
	if bytes.IndexByte(body, '\\') < 0 && isASCII(body) {
		var buf [64]byte
		n := normKeyBytes(buf[:0], body)
		if len(n) == 0 { // no rule names an empty key
			return false
		}
		if len(r.keys) > 0 && r.keys[string(n)] || secretKeysExact[string(n)] {
			return true
		}
		for _, s := range suffixesByLast[n[len(n)-1]] {
			if bytes.HasSuffix(n, []byte(s)) {
				return true
			}
		}
		return false
	}
	// Escaped or not ASCII: lower-casing byte by byte would miss "Ñ" → "ñ" in a configured
	// key, or the Kelvin sign in "apiKey".
	return r.secretKey(mcp.UnquoteChecked(body))
}

// suffixesByLast holds secretKeySuffixes by their last byte.
var suffixesByLast = func() (by [256][]string) {
	for _, s := range secretKeySuffixes {
		by[s[len(s)-1]] = append(by[s[len(s)-1]], s)
	}
	return by
}()

// stringSecretKey reports a key whose string value is a credential (stringSecretKeySuffix).
func (r *Redactor) stringSecretKey(lit []byte) bool {
	body := lit[1 : len(lit)-1]
	if bytes.IndexByte(body, '\\') < 0 && isASCII(body) {
		var buf [64]byte
		return bytes.HasSuffix(normKeyBytes(buf[:0], body), []byte(stringSecretKeySuffix))
	}
	return strings.HasSuffix(normKey(mcp.UnquoteChecked(body)), stringSecretKeySuffix)
}

// normKeyBytes is normKey for ASCII keys (secretKeyJSON takes any other key the slow way).
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

// mayHoldSecret is a cheap filter before Text: false only when Text cannot change b, because
// no configured pattern matches and no built-in pattern's trigger appears (with a byte the
// pattern needs, secretPattern.need). It reads b once, looking up each byte's triggers.
func (r *Redactor) mayHoldSecret(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	for _, re := range r.patterns {
		if re.Match(b) {
			return true
		}
	}
	on, folds := triggered(b)
	if folds { // a trigger may be spelled with a rune the byte scan does not fold: Text folds
		return true
	}
	for i, p := range secretPatterns {
		if on&(1<<i) != 0 && (p.need == "" || bytes.ContainsAny(b, p.need)) {
			return true
		}
	}
	return false
}

// trigger is one of a pattern's triggers, with the pattern's index in secretPatterns.
type trigger struct {
	lit     string
	pattern int
}

// triggersByFirst lists the built-in patterns' triggers (lower case) by their first byte.
var triggersByFirst = func() (by [256][]trigger) {
	if len(secretPatterns) > 64 {
		panic("audit: triggered marks at most 64 patterns")
	}
	for i, p := range secretPatterns {
		for _, t := range p.triggers {
			by[t[0]] = append(by[t[0]], trigger{t, i})
		}
	}
	return by
}()

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// triggerPairs marks (bit c1<<8|c2) the first two bytes of every trigger: every trigger is
// two bytes long or more, and a pair is rarer in text than a byte.
var triggerPairs = func() (set [1 << 10]uint64) {
	for _, p := range secretPatterns {
		for _, t := range p.triggers {
			if len(t) < 2 || strings.ToLower(t) != t {
				panic("audit: a trigger must be two bytes or more, in lower case: " + t)
			}
			k := int(t[0])<<8 | int(t[1])
			set[k>>6] |= 1 << (k & 63)
		}
	}
	for _, r := range foldRunes { // their first two bytes, so that triggered sees them
		k := int(r[0])<<8 | int(r[1])
		set[k>>6] |= 1 << (k & 63)
	}
	return set
}()

// foldRunes are the runes that case-insensitive matching takes for ASCII letters: the
// Kelvin sign for 'k', the long s for 's' (TestFoldLowerCoversEveryFold).
var foldRunes = [...]string{"\u212a", "\u017f"}

// triggered returns the set of built-in patterns (bit i: secretPatterns[i]) one of whose
// triggers b holds, its ASCII letters in either case, and whether b holds one of foldRunes:
// then a trigger may be spelled with it, which only triggered(foldLower(b)) sees.
func triggered[T string | []byte](b T) (on uint64, folds bool) {
	for i := 0; i+1 < len(b); i++ {
		c := lowerASCII(b[i])
		if k := int(c)<<8 | int(lowerASCII(b[i+1])); triggerPairs[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		if c >= utf8.RuneSelf {
			for _, r := range foldRunes {
				folds = folds || len(b)-i >= len(r) && string(b[i:i+len(r)]) == r
			}
			continue
		}
		for _, t := range triggersByFirst[c] {
			if len(b)-i >= len(t.lit) && hasPrefixFold(b[i:], t.lit) {
				on |= 1 << t.pattern
			}
		}
	}
	return on, folds
}

func isASCII(s []byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether b starts with lit (lower case) with ASCII letters of b in
// either case, as strings.Contains(strings.ToLower(s), lit) would see it.
func hasPrefixFold[T string | []byte](b T, lit string) bool {
	for k := 0; k < len(lit); k++ {
		if lowerASCII(b[k]) != lit[k] {
			return false
		}
	}
	return true
}
