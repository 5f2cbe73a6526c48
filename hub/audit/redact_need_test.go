package audit

import (
	"strings"
	"testing"
)

// FuzzPatternNeeds holds each secret pattern's need to what it claims: no text without any of
// those bytes matches the pattern (else Text, which skips such text, would miss a secret). It
// runs the patterns themselves, so an edit of one that breaks its need fails here.
func FuzzPatternNeeds(f *testing.F) {
	for _, s := range []string{
		"https://user:pw@host/x", "curl -u alice:secret https://x", "password=hunter2",
		"token: abc", "api_key = 'k'", "--user=bob:pw", `"secret":"v"`, "pass word", "sig=abc&x=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range secretPatterns {
			if p.need == "" {
				continue
			}
			without := strings.Map(func(r rune) rune {
				if r < 0x80 && strings.ContainsRune(p.need, r) {
					return -1
				}
				return r
			}, s)
			if p.re.MatchString(without) {
				t.Fatalf("pattern %s matches %q, which holds none of %q", p.re, without, p.need)
			}
		}
	})
}

// FuzzMayAssign holds mayAssign to what it claims: text secretAssignment matches is never
// text mayAssign rules out.
func FuzzMayAssign(f *testing.F) {
	for _, s := range []string{
		"password=hunter2", "token: abc", "api_key = 'k'", `"secret":"v"`, "sig=abc&x=1",
		`{"Client_Secret" :  "x"}`, "PASSWD\t=\tx", "my.pw:1", "AccountKey=abc;", "credentials: x",
		"paſſword=x", "api_\u212aey=x", "keyId: k-alice", "monkey=1", "x=1", "=", ":", "pass'=x",
		`{"caller":{"keyId":"k-alice","session":"3bff"},"params":{"name":"echo"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if secretAssignment.MatchString(s) && !mayAssign(s) {
			t.Fatalf("secretAssignment matches %q, which mayAssign rules out", s)
		}
	})
}

// TestMayAssign: mayAssign rules out what it should, so the pattern is not run on it.
func TestMayAssign(t *testing.T) {
	for s, want := range map[string]bool{
		`{"caller":{"userId":"u-alice","keyId":"k-alice"},"params":{"path":"/srv/data/x"}}`: false,
		"monkey business, no assignment": false,
		"x = 1; y: 2":                    false,
		"monkey=1":                       true, // the pattern decides (\b)
		`"Client_Secret" : "x"`:          true,
		"PassWD\t= x":                    true,
		"the sig: abc":                   true,
		"ſecret=x":                       true,
	} {
		if got := mayAssign(s); got != want {
			t.Errorf("mayAssign(%q) = %v, want %v", s, got, want)
		}
	}
}
