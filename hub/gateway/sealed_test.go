package gateway

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
)

// fixedSealer seals with a fixed key at a fixed time, so that fuzz seeds stay valid.
func fixedSealer(t testing.TB, key byte, now time.Time) *sessionSealer {
	t.Helper()
	z, err := newSessionSealer(bytes.Repeat([]byte{key}, 32))
	if err != nil {
		t.Fatal(err)
	}
	z.now = func() time.Time { return now }
	return z
}

var sealedEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// A sealed session id opens, on any hub with the same key, to what was sealed; it does not
// open with another key, once changed, or after SealedSessionLife.
func TestSealedSessionID(t *testing.T) {
	z := fixedSealer(t, 1, sealedEpoch)
	caps := json.RawMessage(`{"sampling":{}}`)
	id := z.seal("2025-06-18", caps, auth.Identity{UserID: "u1", KeyID: "k1"}, "")
	if !strings.HasPrefix(id, sealedPrefix) || strings.ContainsAny(id, " \t\r\n,;") {
		t.Fatalf("id %q is not a clean header value", id)
	}
	other := fixedSealer(t, 1, sealedEpoch.Add(SealedSessionLife-time.Second)) // another hub, same key
	ss, err := other.open(id)
	if err != nil || ss.Version != "2025-06-18" || string(ss.Caps) != string(caps) || ss.UserID != "u1" || ss.KeyID != "k1" {
		t.Fatalf("open on another hub: %+v %v", ss, err)
	}
	if id2 := z.seal("2025-06-18", caps, auth.Identity{UserID: "u1", KeyID: "k1"}, ""); id2 == id {
		t.Fatal("two sessions got the same id")
	}
	// A session of a tool group's endpoint keeps its group on the other hub.
	if ss, err := other.open(z.seal("2025-06-18", caps, auth.Identity{UserID: "u1", KeyID: "k1"}, "fs")); err != nil || ss.Group != "fs" {
		t.Fatalf("group session on another hub: %+v %v", ss, err)
	}
	for name, tc := range map[string]struct {
		z  *sessionSealer
		id string
	}{
		"another key":   {fixedSealer(t, 2, sealedEpoch), id},
		"expired":       {fixedSealer(t, 1, sealedEpoch.Add(SealedSessionLife)), id},
		"changed":       {z, id[:len(id)-2] + flip(id[len(id)-2:])},
		"truncated":     {z, id[:len(id)/2]},
		"random id":     {z, "0123456789abcdef0123456789abcdef"},
		"prefix only":   {z, sealedPrefix},
		"bad base64":    {z, sealedPrefix + "!!!"},
		"oversized":     {z, sealedPrefix + strings.Repeat("A", maxSealedID)},
		"empty":         {z, ""},
		"prefix of tag": {z, sealedPrefix + "AAAA"},
	} {
		if _, err := tc.z.open(tc.id); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// FuzzOpenSessionID: opening an arbitrary Mcp-Session-Id never panics, and nothing but the
// id sealed with the key (the first seed) opens.
func FuzzOpenSessionID(f *testing.F) {
	z := fixedSealer(f, 1, sealedEpoch)
	valid := "s1.Vv56J82eM9KS6jqFwRVzcJRBMl4RmLfTH1cAZ_D7LUbGOFv8YfTOzzlIGqEtXVJ2hiadTWwVXAu8nL-icF0XVLPZbaeW560xT3qSvdwVhSMdPUFNZoJJ0yKoU13dKeGZ" // sealed at sealedEpoch with key 1
	f.Add(valid)
	f.Add("0123456789abcdef0123456789abcdef")
	f.Add(sealedPrefix)
	f.Fuzz(func(t *testing.T, id string) {
		ss, err := z.open(id)
		if err == nil && id != valid {
			t.Fatalf("a forged id opened: %q → %+v", id, ss)
		}
	})
}
