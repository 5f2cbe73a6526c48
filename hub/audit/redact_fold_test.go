package audit

import (
	"strings"
	"testing"
	"unicode"
)

// TestFoldLowerCoversEveryFold: the non-ASCII runes that case-insensitive matching takes for
// an ASCII letter are exactly those foldLower turns into it and triggered looks for.
// mayAssign relies on the same two runes. Unicode tables that fold another rune with an
// ASCII letter fail this test, and the filters must learn it.
func TestFoldLowerCoversEveryFold(t *testing.T) {
	var found []rune
	for c := 'a'; c <= 'z'; c++ {
		for r := unicode.SimpleFold(c); r != c; r = unicode.SimpleFold(r) {
			if r >= 0x80 {
				found = append(found, r)
				if got := foldLower(string(r)); got != string(c) {
					t.Errorf("foldLower(%q) = %q, want %q", r, got, string(c))
				}
				if _, folds := triggered([]byte("x" + string(r) + "x")); !folds {
					t.Errorf("triggered misses %U", r)
				}
			}
		}
	}
	if len(found) != 2 {
		t.Errorf("runes folded with ASCII letters: %U; foldLower and triggered know U+212A and U+017F", found)
	}
	if got := foldLower("PAſſWORD \u212aEY"); got != strings.ToLower("password key") {
		t.Errorf("foldLower = %q", got)
	}
}
