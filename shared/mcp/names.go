package mcp

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Naming rules for exposed tool and prompt names (docs/NAMING.md): characters
// [A-Za-z0-9_-] only, parts joined with Separator, at most MaxNameLen bytes.
const (
	Separator  = "__"
	MaxNameLen = 64
	hashLen    = 8 // hex digits of SHA-256 that end a shortened or disambiguated name
	headLen    = MaxNameLen - 1 - hashLen
)

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// ValidName reports whether s is a usable exposed name: 1 to 64 characters from
// [A-Za-z0-9_-], the pattern LLM APIs accept for tool names.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !nameByte(s[i]) {
			return false
		}
	}
	return true
}

// Sanitize replaces every character outside [A-Za-z0-9_-] with '_' (one per character,
// and one per byte of invalid UTF-8).
func Sanitize(s string) string {
	i := 0
	for i < len(s) && nameByte(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if r < 0x80 && nameByte(byte(r)) {
			b.WriteByte(byte(r))
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Join sanitizes the parts, joins them with "__" and shortens the result to 64 bytes
// (see Shorten). The result is deterministic and matches ^[A-Za-z0-9_-]{0,64}$; it is
// empty only for no parts or one empty part.
func Join(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p) + len(Separator)
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range parts {
		if i > 0 {
			b.WriteString(Separator)
		}
		b.WriteString(Sanitize(p))
	}
	return Shorten(b.String())
}

// Shorten returns s when it fits in 64 bytes, and otherwise its first 55 bytes, '_' and
// the first 8 hex digits of the SHA-256 of the whole s: readable, stable, and different
// for different long names (up to a 32-bit hash collision, which the router resolves).
func Shorten(s string) string {
	if len(s) <= MaxNameLen {
		return s
	}
	return s[:headLen] + "_" + shortHash(s)
}

// Disambiguate returns a variant of name for one of several targets that share it: name
// cut to 55 bytes, '_', and 8 hex digits of the SHA-256 of key, which identifies the
// target. The result fits in 64 bytes and is a valid name when name is.
func Disambiguate(name, key string) string {
	if len(name) > headLen {
		name = name[:headLen]
	}
	return name + "_" + shortHash(key)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:hashLen/2])
}
