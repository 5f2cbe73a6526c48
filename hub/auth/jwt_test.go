package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// clock is a settable time source for tests.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestTokens(t *testing.T) (*Tokens, *clock) {
	t.Helper()
	tk, err := NewTokens(testSecret)
	must(t, err)
	c := &clock{t: time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)}
	tk.Now = c.Now
	return tk, c
}

// forge signs an arbitrary header and payload with secret, as an attacker with (or
// without) the secret could.
func forge(secret []byte, header, payload string) string {
	b64 := base64.RawURLEncoding
	signed := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(signed))
	return signed + "." + b64.EncodeToString(m.Sum(nil))
}

func TestTokensRoundTrip(t *testing.T) {
	tk, clk := newTestTokens(t)
	for _, typ := range []string{TokenAccess, TokenRefresh} {
		tok, c, err := tk.Issue("usr_1", "viewer", typ)
		must(t, err)
		got, err := tk.Parse(tok, typ)
		must(t, err)
		if got != c || got.Subject != "usr_1" || got.Role != "viewer" || got.Type != typ || len(got.ID) != 32 ||
			got.IssuedAt != clk.t.Unix() {
			t.Errorf("Parse(%s) = %+v, issued %+v", typ, got, c)
		}
	}
	a, ac, _ := tk.Issue("usr_1", "viewer", TokenAccess)
	r, rc, _ := tk.Issue("usr_1", "viewer", TokenRefresh)
	if ac.ExpiresAt-ac.IssuedAt != int64(AccessTTL/time.Second) || rc.ExpiresAt-rc.IssuedAt != int64(RefreshTTL/time.Second) {
		t.Errorf("lifetimes: access %d s, refresh %d s", ac.ExpiresAt-ac.IssuedAt, rc.ExpiresAt-rc.IssuedAt)
	}
	// Each type only where it belongs.
	if _, err := tk.Parse(a, TokenRefresh); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("access token accepted as refresh token: %v", err)
	}
	if _, err := tk.Parse(r, TokenAccess); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("refresh token accepted as access token: %v", err)
	}
	if _, _, err := tk.Issue("usr_1", "viewer", "session"); err == nil {
		t.Error("Issue accepted an unknown type")
	}
	if _, _, err := tk.Issue("", "viewer", TokenAccess); err == nil {
		t.Error("Issue accepted an empty subject")
	}
	if _, err := NewTokens(testSecret[:31]); err == nil {
		t.Error("NewTokens accepted a 31-byte secret")
	}
}

func TestTokensExpire(t *testing.T) {
	tk, clk := newTestTokens(t)
	a, _, _ := tk.Issue("usr_1", "viewer", TokenAccess)
	r, _, _ := tk.Issue("usr_1", "viewer", TokenRefresh)
	clk.Advance(AccessTTL - time.Second)
	if _, err := tk.Parse(a, TokenAccess); err != nil {
		t.Errorf("access token refused before expiry: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := tk.Parse(a, TokenAccess); !errors.Is(err, ErrTokenExpired) || !errors.Is(err, ErrInvalidToken) {
		t.Errorf("expired access token: %v, want ErrTokenExpired", err)
	}
	if _, err := tk.Parse(r, TokenRefresh); err != nil {
		t.Errorf("refresh token refused before expiry: %v", err)
	}
	clk.Advance(RefreshTTL)
	if _, err := tk.Parse(r, TokenRefresh); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("expired refresh token: %v", err)
	}
}

func TestTokensRefused(t *testing.T) {
	tk, clk := newTestTokens(t)
	good, _, _ := tk.Issue("usr_1", "viewer", TokenAccess)
	parts := strings.Split(good, ".")
	now := clk.t.Unix()
	claims := func(extra string) string {
		return `{"sub":"usr_1","role":"owner","typ":"access","iat":` + itoa(now) + `,"exp":` + itoa(now+60) + `,"jti":"j"` + extra + `}`
	}
	hdr := `{"alg":"HS256","typ":"JWT"}`
	flip := func(s string) string { // change one character, keeping it base64url
		b := []byte(s)
		b[len(b)/2] ^= 1
		return string(b)
	}
	cases := map[string]string{
		"empty":                  "",
		"two parts":              parts[0] + "." + parts[1],
		"four parts":             good + ".x",
		"tampered payload":       parts[0] + "." + flip(parts[1]) + "." + parts[2],
		"tampered signature":     parts[0] + "." + parts[1] + "." + flip(parts[2]),
		"no signature":           parts[0] + "." + parts[1] + ".",
		"other secret":           forge([]byte("another secret, 32 bytes long!!!"), hdr, claims("")),
		"alg none":               forge(testSecret, `{"alg":"none","typ":"JWT"}`, claims("")),
		"alg none unsigned":      base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
		"alg HS512":              forge(testSecret, `{"alg":"HS512","typ":"JWT"}`, claims("")),
		"alg RS256":              forge(testSecret, `{"alg":"RS256","typ":"JWT"}`, claims("")),
		"alg lower case":         forge(testSecret, `{"alg":"hs256","typ":"JWT"}`, claims("")),
		"typ JWE":                forge(testSecret, `{"alg":"HS256","typ":"JWE"}`, claims("")),
		"no typ":                 forge(testSecret, `{"alg":"HS256"}`, claims("")),
		"kid header":             forge(testSecret, `{"alg":"HS256","typ":"JWT","kid":"x"}`, claims("")),
		"reordered header":       forge(testSecret, `{"typ":"JWT","alg":"HS256"}`, claims("")),
		"claims typ refresh":     forge(testSecret, hdr, strings.Replace(claims(""), `"access"`, `"refresh"`, 1)),
		"claims typ other":       forge(testSecret, hdr, strings.Replace(claims(""), `"access"`, `"id"`, 1)),
		"unknown claim":          forge(testSecret, hdr, claims(`,"admin":true`)),
		"no sub":                 forge(testSecret, hdr, strings.Replace(claims(""), `"usr_1"`, `""`, 1)),
		"string exp":             forge(testSecret, hdr, strings.Replace(claims(""), `"exp":`, `"exp":"1"`+`,"x":`, 1)),
		"trailing data":          forge(testSecret, hdr, claims("")+"{}"),
		"lifetime too long":      forge(testSecret, hdr, strings.Replace(claims(""), itoa(now+60), itoa(now+3600), 1)),
		"issued in the future":   forge(testSecret, hdr, strings.NewReplacer(`"iat":`+itoa(now), `"iat":`+itoa(now+600), itoa(now+60), itoa(now+660)).Replace(claims(""))),
		"padded base64":          good + "=",
		"too long":               strings.Repeat("a", maxTokenLen+1),
		"not a JWT (an API key)": KeyPrefix + strings.Repeat("A", 43),
	}
	if _, err := tk.Parse(forge(testSecret, hdr, claims("")), TokenAccess); err != nil {
		t.Fatalf("the forging helper is broken: a well-formed token is refused: %v", err)
	}
	for name, tok := range cases {
		c, err := tk.Parse(tok, TokenAccess)
		if !errors.Is(err, ErrInvalidToken) || c != (Claims{}) {
			t.Errorf("%s: Parse = %+v, %v; want ErrInvalidToken", name, c, err)
		}
	}
	_, err := tk.Parse(forge(testSecret, `{"alg":"none","typ":"JWT"}`, claims("")), TokenAccess)
	if err == nil || !strings.Contains(err.Error(), `algorithm "none"`) {
		t.Errorf("alg none refused with %v, want the algorithm named", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLoadOrCreateJWTSecret(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	if _, err := LoadOrCreateJWTSecret(ctx, s, "too short"); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("short JWT_SECRET: %v", err)
	}
	got, err := LoadOrCreateJWTSecret(ctx, s, string(testSecret))
	must(t, err)
	if string(got) != string(testSecret) {
		t.Errorf("configured secret not used")
	}
	if _, err := s.GetSetting(ctx, SettingJWTSecret); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a configured secret was stored: %v", err)
	}

	first, err := LoadOrCreateJWTSecret(ctx, s, "")
	must(t, err)
	second, err := LoadOrCreateJWTSecret(ctx, s, "")
	must(t, err)
	if len(first) < MinJWTSecretLen || string(first) != string(second) {
		t.Errorf("generated secret not kept: %x then %x", first, second)
	}
	other, err := LoadOrCreateJWTSecret(ctx, storetest.New(t), "")
	must(t, err)
	if string(other) == string(first) {
		t.Error("two stores generated the same secret")
	}

	must(t, s.PutSetting(ctx, SettingJWTSecret, "not base64!"))
	if _, err := LoadOrCreateJWTSecret(ctx, s, ""); err == nil || !strings.Contains(err.Error(), SettingJWTSecret) {
		t.Errorf("corrupt stored secret: %v", err)
	}
}

// FuzzParseToken: the JWT parser faces whatever a client sends. Seeds in
// testdata/fuzz/FuzzParseToken (a valid access and refresh token for the fixed clock,
// alg none, HS512, a wrong key, an expired token, garbage).
func FuzzParseToken(f *testing.F) {
	tk, err := NewTokens(testSecret)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	tk.Now = func() time.Time { return now }
	f.Fuzz(func(t *testing.T, tok string) {
		for _, typ := range []string{TokenAccess, TokenRefresh} {
			c, err := tk.Parse(tok, typ)
			if err != nil {
				if !errors.Is(err, ErrInvalidToken) || c != (Claims{}) {
					t.Fatalf("refusal %v with claims %+v", err, c)
				}
				continue
			}
			if c.Type != typ || c.Subject == "" || c.ExpiresAt <= now.Unix() || !strings.HasPrefix(tok, jwtHeader+".") {
				t.Fatalf("accepted %q as %s with claims %+v", tok, typ, c)
			}
		}
	})
}

// The valid seeds of FuzzParseToken must be accepted, or the fuzzer never reaches the
// claim checks.
func TestFuzzSeedsValid(t *testing.T) {
	tk, _ := newTestTokens(t)
	for name, typ := range map[string]string{"valid_access": TokenAccess, "valid_refresh": TokenRefresh} {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParseToken", name))
		must(t, err)
		line := strings.Split(string(raw), "\n")[1]
		tok, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, "string("), ")"))
		must(t, err)
		if _, err := tk.Parse(tok, typ); err != nil {
			t.Errorf("seed %s refused: %v", name, err)
		}
	}
}
