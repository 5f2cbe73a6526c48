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
