package oauth

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "oauth.key")
	k, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o600) {
		t.Fatalf("key file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	sealed := k.Seal("secret-token", Where("a"))
	if strings.Contains(sealed, "secret-token") {
		t.Fatal("sealed value holds the plaintext")
	}
	if got, err := k.Open(sealed, Where("a")); err != nil || got != "secret-token" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, Where("b")); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Open under another backend's name: %v, want ErrWrongKey", err)
	}
	other, err := LoadKeyFile(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(sealed, Where("a")); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Open with another key: %v, want ErrWrongKey", err)
	}
	again, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Open(sealed, Where("a")); err != nil || got != "secret-token" {
		t.Errorf("the reloaded key does not open: %q, %v", got, err)
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("a key file readable by others: %v, want a refusal naming chmod 600", err)
		}
	}
}

func TestFileStore(t *testing.T) {
	dir := t.TempDir()
	k, err := LoadKeyFile(filepath.Join(dir, "oauth.key"))
	if err != nil {
		t.Fatal(err)
	}
	fs := NewFileStore(filepath.Join(dir, "tokens.json"), k)
	ctx := context.Background()
	if c, err := fs.Load(ctx, "x"); c != nil || err != nil {
		t.Fatalf("empty store: %v %v", c, err)
	}
	want := &Credentials{ServerURL: "http://s/mcp", AccessToken: "AT-123456", RefreshToken: "RT-654321", ClientID: "cid"}
	if err := fs.Save(ctx, "x", want); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "tokens.json"))
	for _, s := range []string{"AT-123456", "RT-654321"} {
		if strings.Contains(string(raw), s) {
			t.Errorf("the file holds %s in clear", s)
		}
	}
	got, err := fs.Load(ctx, "x")
	if err != nil || got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if err := fs.Save(ctx, "x", nil); err != nil {
		t.Fatal(err)
	}
	if c, err := fs.Load(ctx, "x"); c != nil || err != nil {
		t.Fatalf("after removal: %v %v", c, err)
	}
}

func TestRefreshDue(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		lifetime, at time.Duration
		due          bool
	}{
		{time.Hour, 0, false},
		{time.Hour, 58 * time.Minute, false},
		{time.Hour, 59*time.Minute + time.Second, true},
		{time.Hour, 2 * time.Hour, true},
		{90 * time.Second, 50 * time.Second, false}, // a third of a short lifetime: 30 s
		{90 * time.Second, 61 * time.Second, true},
	} {
		c := &Credentials{Obtained: t0, Expiry: t0.Add(tc.lifetime)}
		if got := c.refreshDue(t0.Add(tc.at)); got != tc.due {
			t.Errorf("lifetime %s, at %s: due = %v, want %v", tc.lifetime, tc.at, got, tc.due)
		}
	}
	if (&Credentials{}).refreshDue(t0) {
		t.Error("a token without expiry is never due")
	}
}

func TestParseTokenResponse(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string // error substring; "" for success
	}{
		{200, `{"access_token":"a","token_type":"Bearer","expires_in":60}`, ""},
		{200, `{"access_token":"a","token_type":"bearer"}`, ""},
		{200, `{"token_type":"Bearer"}`, "no access_token"},
		{200, `{"access_token":"a","token_type":"mac"}`, "not Bearer"},
		{200, `{"access_token":"a","expires_in":-1}`, "out of range"},
		{200, `not json`, "token endpoint answer"},
		{400, `{"error":"invalid_grant","error_description":"expired"}`, "400 invalid_grant: expired"},
		{502, `<html>`, "answered 502"},
	} {
		_, err := ParseTokenResponse(tc.status, []byte(tc.body))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%d %s: %v, want %q", tc.status, tc.body, err, tc.want)
		}
	}
	_, err := ParseTokenResponse(400, []byte(`{"error":"invalid_grant"}`))
	var te *TokenError
	if !errors.As(err, &te) || !te.Refused() {
		t.Errorf("invalid_grant is not a refusal: %v", err)
	}
	_, err = ParseTokenResponse(503, nil)
	if !errors.As(err, &te) || te.Refused() {
		t.Errorf("a 503 counts as a refusal: %v", err)
	}
}

func TestParseCallback(t *testing.T) {
	r, err := ParseCallback(url.Values{"code": {"c"}, "state": {"s"}, "iss": {"https://as"}})
	if err != nil || r.Code != "c" || r.State != "s" || r.Iss != "https://as" {
		t.Errorf("ParseCallback = %+v, %v", r, err)
	}
	r, err = ParseCallback(url.Values{"error": {"access_denied"}, "error_description": {"no"}})
	if err != nil || r.Error != "access_denied: no" {
		t.Errorf("refusal: %+v, %v", r, err)
	}
	if _, err := ParseCallback(url.Values{"code": {"c"}}); err == nil {
		t.Error("a response without state was accepted")
	}
}

func FuzzParseTokenResponse(f *testing.F) {
	f.Add(200, []byte(`{"access_token":"a","token_type":"Bearer","expires_in":60,"refresh_token":"r","scope":"x y"}`))
	f.Add(400, []byte(`{"error":"invalid_grant"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		tok, err := ParseTokenResponse(status, body)
		if err == nil && (tok == nil || tok.AccessToken == "" || tok.ExpiresIn < 0) {
			t.Fatalf("accepted %q as %+v", body, tok)
		}
	})
}

func FuzzParseCallback(f *testing.F) {
	f.Add("code=c&state=s&iss=https%3A%2F%2Fas")
	f.Add("error=access_denied&error_description=no")
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		r, err := ParseCallback(q)
		if err == nil && r.Error == "" && (r.Code == "" || r.State == "") {
			t.Fatalf("accepted %q without code or state", query)
		}
	})
}
