// Package auth turns API keys, passwords and JWTs into identities: keys and their in-memory
// cache for the hot path, argon2id passwords, login with lockout, HS256 access and refresh
// tokens, and the admin helpers the CLI and REST API use. See docs/IDENTITY.md.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// KeyPrefix starts every API key, so leaked keys are recognisable by secret scanners.
const KeyPrefix = "mcpgw_"

const (
	keyBytes     = 32
	minKeyLen    = len(KeyPrefix) + 43 // 32 bytes in unpadded base64url
	maxKeyLen    = 512
	displayChars = 12 // store.APIKey.Prefix
)

// NewKey returns a new API key: KeyPrefix + unpadded base64url of 32 random bytes.
func NewKey() (string, error) {
	var b [keyBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new key: %w", err)
	}
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashKey returns the hex SHA-256 of a key, the only form in which keys are stored.
func HashKey(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// wellFormed reports whether s could be a key made by NewKey (or a longer future one),
// so garbage is rejected before it is hashed.
func wellFormed(s string) bool {
	if len(s) < minKeyLen || len(s) > maxKeyLen || !strings.HasPrefix(s, KeyPrefix) {
		return false
	}
	for i := len(KeyPrefix); i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// BearerToken returns the token of an "Authorization: Bearer <token>" header. The scheme
// is case-insensitive (RFC 9110); a missing, empty or multi-word token is refused.
func BearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}
