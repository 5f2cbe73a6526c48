package integrity

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// Seeds live in testdata/fuzz/FuzzScan and testdata/fuzz/FuzzFingerprint; the captured
// tools of the reference servers are added here too.
func addRealTools(f *testing.F) {
	for _, server := range []string{"server-everything", "server-filesystem", "server-memory"} {
		for _, tl := range loadTools(f, server) {
			f.Add([]byte(tl))
		}
	}
}

func FuzzScan(f *testing.F) {
	addRealTools(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, fd := range Scan(raw) {
			if fd.Kind == "" || fd.Severity == "" || fd.Why == "" || fd.Field == "" {
				t.Fatalf("finding does not explain itself: %+v", fd)
			}
			if !utf8.ValidString(fd.Excerpt) {
				t.Fatalf("excerpt is not UTF-8: %q", fd.Excerpt)
			}
		}
	})
}

func FuzzFingerprint(f *testing.F) {
	addRealTools(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		fp := Fingerprint(raw)
		if fp != Fingerprint(raw) {
			t.Fatal("fingerprint is not deterministic")
		}
		if !json.Valid(raw) {
			return
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return
		}
		r := rand.New(rand.NewPCG(uint64(len(raw)), 7))
		if got := Fingerprint(shuffled(t, raw, r)); got != fp {
			t.Fatalf("reordering keys changed the fingerprint of %q", raw)
		}
		// The canonical form is a fixed point.
		if c := Canonical(raw); Fingerprint(c) != fp {
			t.Fatalf("canonical form %s hashes differently from %q", c, raw)
		}
	})
}
