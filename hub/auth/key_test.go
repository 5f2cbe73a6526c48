package auth

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

func TestNewKey(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		k, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(k, KeyPrefix)
		if !ok {
			t.Fatalf("key %q lacks prefix %q", k, KeyPrefix)
		}
		raw, err := base64.RawURLEncoding.DecodeString(body)
		if err != nil || len(raw) != 32 {
			t.Fatalf("key body %q: %d bytes, %v", body, len(raw), err)
		}
		if !wellFormed(k) {
			t.Fatalf("NewKey made a key wellFormed refuses: %q", k)
		}
		if seen[k] {
			t.Fatalf("duplicate key %q", k)
		}
		seen[k] = true
	}
}

func TestHashKey(t *testing.T) {
	// sha256("abc") from FIPS 180-2.
	if got, want := HashKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("HashKey(abc) = %s, want %s", got, want)
	}
}

func TestWellFormed(t *testing.T) {
	good := KeyPrefix + strings.Repeat("A", 43)
	cases := map[string]bool{
		good:                                   true,
		KeyPrefix + strings.Repeat("_-9z", 11): true,
		"":                                     false,
		KeyPrefix:                              false,
		good[:len(good)-1]:                     false, // too short
		"MCPGW_" + strings.Repeat("A", 43):     false,
		"xxxxx_" + strings.Repeat("A", 43):     false,
		good + "=":                             false, // padding
		good + "+/":                            false, // std base64
		good + " ":                             false,
		good + "é":                             false,
		KeyPrefix + strings.Repeat("A", 600):   false, // too long
	}
	for k, want := range cases {
		if got := wellFormed(k); got != want {
			t.Errorf("wellFormed(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestBearerToken(t *testing.T) {
	cases := []struct {
		header []string // nil: no header
		token  string
		ok     bool
	}{
		{[]string{"Bearer abc"}, "abc", true},
		{[]string{"bearer abc"}, "abc", true},
		{[]string{"BEARER abc"}, "abc", true},
		{[]string{"  Bearer   abc  "}, "abc", true},
		{[]string{"Bearer abc", "Bearer def"}, "abc", true},
		{nil, "", false},
		{[]string{""}, "", false},
		{[]string{"Bearer"}, "", false},
		{[]string{"Bearer "}, "", false},
		{[]string{"Bearer a b"}, "", false},
		{[]string{"Basic dXNlcjpwYXNz"}, "", false},
		{[]string{"Bearerabc"}, "", false},
		{[]string{"Token abc"}, "", false},
	}
	for _, c := range cases {
		r, _ := http.NewRequest("GET", "http://h/", nil)
		for _, h := range c.header {
			r.Header.Add("Authorization", h)
		}
		token, ok := BearerToken(r)
		if token != c.token || ok != c.ok {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", c.header, token, ok, c.token, c.ok)
		}
	}
}

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  x ", "Basic y", "", "Bearer", "Bearer\ta"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := &http.Request{Header: http.Header{"Authorization": {h}}}
		token, ok := BearerToken(r)
		if !ok {
			if token != "" {
				t.Fatalf("refused header %q but returned token %q", h, token)
			}
			return
		}
		if token == "" || strings.ContainsAny(token, " \t") || !strings.Contains(h, token) {
			t.Fatalf("header %q gave token %q", h, token)
		}
		if !strings.EqualFold(strings.Fields(h)[0], "bearer") {
			t.Fatalf("header %q accepted without the Bearer scheme", h)
		}
	})
}
