package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Token types, carried in the "typ" claim: an access token is never accepted where a
// refresh token is expected, nor the other way round.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// Token lifetimes.
const (
	AccessTTL  = 15 * time.Minute
	RefreshTTL = 7 * 24 * time.Hour
)

// SettingJWTSecret is the store setting that keeps the generated secret.
const SettingJWTSecret = "jwt_secret"

// MinJWTSecretLen is the shortest secret accepted, in bytes (HS256 wants ≥ 256 bits).
const MinJWTSecretLen = 32

const (
	maxTokenLen = 4096
	clockSkew   = time.Minute // tolerated for iat in the future (several hubs)
)

// ErrInvalidToken is wrapped by every refusal of a token; ErrTokenExpired (which also
// matches ErrInvalidToken) tells a client to refresh.
var (
	ErrInvalidToken = errors.New("invalid token")
	ErrTokenExpired = fmt.Errorf("%w: expired", ErrInvalidToken)
)

// Claims are the JWT claims of access and refresh tokens.
type Claims struct {
	Subject   string `json:"sub"` // user id
	Role      string `json:"role"`
	Type      string `json:"typ"` // TokenAccess or TokenRefresh
	IssuedAt  int64  `json:"iat"` // unix seconds
	ExpiresAt int64  `json:"exp"` // unix seconds
	ID        string `json:"jti"`
}

// jwtHeader is the only header this package writes or accepts.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// Tokens issues and verifies HS256 JWTs with one secret.
type Tokens struct {
	secret []byte
	// Now is the clock; tests set it.
	Now func() time.Time
}

// NewTokens returns a signer/verifier for secret (at least MinJWTSecretLen bytes).
func NewTokens(secret []byte) (*Tokens, error) {
	if len(secret) < MinJWTSecretLen {
		return nil, fmt.Errorf("JWT secret is %d bytes, at least %d required", len(secret), MinJWTSecretLen)
	}
	return &Tokens{secret: bytes.Clone(secret), Now: time.Now}, nil
}

// Issue signs a token of type typ (TokenAccess or TokenRefresh) for a user.
func (t *Tokens) Issue(userID, role, typ string) (string, Claims, error) {
	return t.issueAt(t.Now(), userID, role, typ)
}

// issueAt is Issue with the issue time given.
func (t *Tokens) issueAt(now time.Time, userID, role, typ string) (string, Claims, error) {
	ttl, ok := tokenTTL(typ)
	if !ok || userID == "" {
		return "", Claims{}, fmt.Errorf("issue token: type %q and user %q: want access or refresh and a user id", typ, userID)
	}
	var jti [16]byte
	rand.Read(jti[:])
	c := Claims{Subject: userID, Role: role, Type: typ, IssuedAt: now.Unix(),
		ExpiresAt: now.Add(ttl).Unix(), ID: hex.EncodeToString(jti[:])}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", Claims{}, fmt.Errorf("issue token: %w", err)
	}
	signed := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signed + "." + base64.RawURLEncoding.EncodeToString(t.sign(signed)), c, nil
}

// Parse verifies a token's header, signature, type and times, and returns its claims.
// Only the exact header {"alg":"HS256","typ":"JWT"} is accepted: no "none", no other
// algorithm, no key hints.
func (t *Tokens) Parse(token, typ string) (Claims, error) {
	var c Claims
	if len(token) > maxTokenLen {
		return c, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, maxTokenLen)
	}
	header, rest, ok1 := strings.Cut(token, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return c, fmt.Errorf("%w: want three dot-separated parts", ErrInvalidToken)
	}
	if header != jwtHeader {
		return c, fmt.Errorf("%w: %s", ErrInvalidToken, headerProblem(header))
	}
	b64 := base64.RawURLEncoding.Strict()
	mac, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, t.sign(token[:len(header)+1+len(payload)])) {
		return c, fmt.Errorf("%w: bad signature", ErrInvalidToken)
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		return c, fmt.Errorf("%w: payload is not base64url", ErrInvalidToken)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return Claims{}, fmt.Errorf("%w: malformed claims", ErrInvalidToken)
	}
	if err := t.checkClaims(&c, typ); err != nil {
		return Claims{}, err
	}
	return c, nil
}

func (t *Tokens) checkClaims(c *Claims, typ string) error {
	ttl, ok := tokenTTL(c.Type)
	switch {
	case !ok || c.Type != typ:
		return fmt.Errorf("%w: a %q token where a %q token is required", ErrInvalidToken, c.Type, typ)
	case c.Subject == "" || c.ID == "":
		return fmt.Errorf("%w: missing sub or jti", ErrInvalidToken)
	case c.ExpiresAt <= c.IssuedAt || c.ExpiresAt-c.IssuedAt > int64(ttl/time.Second):
		return fmt.Errorf("%w: lifetime outside (0, %s]", ErrInvalidToken, ttl)
	}
	now := t.Now()
	if c.IssuedAt > now.Add(clockSkew).Unix() {
		return fmt.Errorf("%w: issued in the future", ErrInvalidToken)
	}
	if now.Unix() >= c.ExpiresAt {
		return fmt.Errorf("%w at %s", ErrTokenExpired, time.Unix(c.ExpiresAt, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

// headerProblem names what is wrong with a header other than the one accepted.
func headerProblem(header string) string {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(header)
	var h map[string]any
	if err != nil || json.Unmarshal(raw, &h) != nil {
		return "malformed header"
	}
	if alg, _ := h["alg"].(string); alg != "HS256" {
		return fmt.Sprintf("algorithm %q not accepted (only HS256)", alg)
	}
	if typ, _ := h["typ"].(string); typ != "JWT" {
		return fmt.Sprintf("header type %q not accepted (only JWT)", typ)
	}
	return "header has fields other than alg and typ"
}

func (t *Tokens) sign(s string) []byte {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func tokenTTL(typ string) (time.Duration, bool) {
	switch typ {
	case TokenAccess:
		return AccessTTL, true
	case TokenRefresh:
		return RefreshTTL, true
	}
	return 0, false
}

// LoadOrCreateJWTSecret returns the JWT secret: configured (JWT_SECRET) if set, else the
// one kept in the "jwt_secret" setting, generating and storing 32 random bytes the first
// time. When several hubs start at once the first one's secret is kept and used by all.
func LoadOrCreateJWTSecret(ctx context.Context, settings store.Settings, configured string) ([]byte, error) {
	if configured != "" {
		if len(configured) < MinJWTSecretLen {
			return nil, fmt.Errorf("JWT_SECRET is %d bytes, at least %d required", len(configured), MinJWTSecretLen)
		}
		return []byte(configured), nil
	}
	v, err := settings.GetSetting(ctx, SettingJWTSecret)
	if errors.Is(err, store.ErrNotFound) {
		var b [MinJWTSecretLen]byte
		rand.Read(b[:])
		err = settings.CreateSetting(ctx, SettingJWTSecret, base64.RawURLEncoding.EncodeToString(b[:]))
		if err == nil {
			return b[:], nil
		}
		if errors.Is(err, store.ErrConflict) { // another hub was first
			v, err = settings.GetSetting(ctx, SettingJWTSecret)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load JWT secret: %w", err)
	}
	secret, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil || len(secret) < MinJWTSecretLen {
		return nil, fmt.Errorf("load JWT secret: setting %q is not base64url of at least %d bytes; fix or delete it (deleting signs everyone out)",
			SettingJWTSecret, MinJWTSecretLen)
	}
	return secret, nil
}
