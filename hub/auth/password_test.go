package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestHashAndVerifyPassword(t *testing.T) {
	const pw = "correct horse battery"
	h, err := HashPassword(pw)
	must(t, err)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, pw) {
		t.Fatalf("hash = %q", h)
	}
	h2, err := HashPassword(pw)
	must(t, err)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	cases := []struct {
		pw   string
		want bool
	}{
		{pw, true},
		{"correct horse batterY", false},
		{"correct horse battery ", false},
		{"", false},
		{strings.Repeat("x", 5000), false},
	}
	for _, c := range cases {
		ok, err := VerifyPassword(h, c.pw)
		if err != nil || ok != c.want {
			t.Errorf("VerifyPassword(%q…) = %v, %v; want %v", c.pw[:min(len(c.pw), 20)], ok, err, c.want)
		}
	}
}

func TestPasswordRules(t *testing.T) {
	ok := []string{strings.Repeat("a", 12), "ünïcödé pässwörd", strings.Repeat("é", 1024)}
	bad := map[string]string{
		"short":                      "too short",
		strings.Repeat("a", 11):      "too short",
		strings.Repeat("é", 11):      "too short", // 22 bytes, 11 characters
		strings.Repeat("a", 1025):    "too long",
		"twelve chars\x00":           "control character",
		"tab\tinside password":       "control character",
		"bad utf8 \xff\xfe password": "UTF-8",
	}
	for _, pw := range ok {
		if err := CheckPassword(pw); err != nil {
			t.Errorf("CheckPassword(%q) = %v", pw, err)
		}
	}
	for pw, want := range bad {
		err := CheckPassword(pw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckPassword(%q) = %v, want %q", pw, err, want)
		}
		if _, err := HashPassword(pw); err == nil {
			t.Errorf("HashPassword(%q) accepted", pw)
		}
	}
}

func TestVerifyPasswordMalformedHash(t *testing.T) {
	good, err := HashPassword("a good long password")
	must(t, err)
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	bad := []string{
		"", "plaintext", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		with(1, "argon2i"), with(1, "bcrypt"), with(2, "v=16"), with(3, "m=19456,t=2"),
		with(3, "m=19456,t=0,p=1"), with(3, "m=1048576,t=2,p=1"), with(3, "m=19456,t=99,p=1"),
		with(3, "m=19456,t=2,p=0"), with(3, "t=2,m=19456,p=1"), with(3, "m=019456,t=2,p=1"),
		with(3, "m=+19456,t=2,p=1"), with(3, "m=8,t=2,p=4"),
		with(4, "c2FsdA"), with(4, "not base64!"), with(4, parts[4]+"="), with(5, "c2hvcnQ"),
		good + "$extra", "x" + good, strings.Repeat("$", 600),
	}
	for _, h := range bad {
		ok, err := VerifyPassword(h, "a good long password")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("VerifyPassword(%q) = %v, %v; want ErrMalformedHash", h, ok, err)
		}
	}
}

// FuzzParsePHC: stored hashes come from the database, which an attacker may have touched;
// the parser must never panic and must bound what a verification can cost.
func FuzzParsePHC(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=1,t=1,p=1$$", "$argon2id$v=19$m=99999999999,t=2,p=1$a$b", "$$$$$", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePHC(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("error %v does not wrap ErrMalformedHash", err)
			}
			return
		}
		if p.memory > maxArgonMemory || p.time > maxArgonTime || p.threads > maxArgonThreads ||
			p.time < 1 || p.threads < 1 || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
			t.Fatalf("accepted out-of-range %q: %+v salt %d key %d", s, p, len(salt), len(key))
		}
		if got := p.format(salt, key); got != s {
			t.Fatalf("accepted a non-canonical form %q (canonical %q)", s, got)
		}
	})
}
