package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAuditDefaultsAndFile(t *testing.T) {
	d := Default().Audit
	if d.RetainFor.Duration != 90*24*time.Hour || d.QueueSize != 100000 || d.OnFull != "refuse" || d.Drop() ||
		d.OnFailure != "refuse" || d.AllowUnjournaled() || d.Fsync || d.MaxPayloadBytes != 4096 {
		t.Fatalf("defaults: %+v", d)
	}
	path := filepath.Join(t.TempDir(), "hub.toml")
	os.WriteFile(path, []byte(`
[audit]
retain_for = "30d"
queue_size = 500
on_full = "drop"
on_failure = "allow"
fsync = true
max_payload_bytes = 8192
redact_keys = ["ssn"]
redact_patterns = ['\d{3}-\d{2}-\d{4}']
`), 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Audit
	if a.RetainFor.Duration != 30*24*time.Hour || a.QueueSize != 500 || !a.Drop() || !a.AllowUnjournaled() || !a.Fsync ||
		a.MaxPayloadBytes != 8192 || len(a.RedactKeys) != 1 || len(a.RedactPatterns) != 1 {
		t.Fatalf("loaded %+v", a)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAuditValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Audit)
		want string // "" = valid
	}{
		{"keep forever", func(a *Audit) { a.RetainFor.Duration = 0 }, ""},
		{"negative retention", func(a *Audit) { a.RetainFor.Duration = -time.Hour }, "negative"},
		{"minutes, not days", func(a *Audit) { a.RetainFor.Duration = 90 * time.Minute / 2 }, "shorter than an hour"},
		{"zero queue", func(a *Audit) { a.QueueSize = 0 }, "audit.queue_size 0"},
		{"on_full typo", func(a *Audit) { a.OnFull = "block" }, `audit.on_full "block"`},
		{"on_failure typo", func(a *Audit) { a.OnFailure = "ignore" }, `audit.on_failure "ignore"`},
		{"tiny payloads", func(a *Audit) { a.MaxPayloadBytes = 10 }, "audit.max_payload_bytes 10"},
		{"empty key", func(a *Audit) { a.RedactKeys = []string{"ok", ""} }, "audit.redact_keys[1] is empty"},
		{"bad regex", func(a *Audit) { a.RedactPatterns = []string{"(unclosed"} }, `audit.redact_patterns[0] "(unclosed"`},
		{"matches everything", func(a *Audit) { a.RedactPatterns = []string{"x*"} }, "matches the empty string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mod(&c.Audit)
			err := c.Validate()
			if tc.want == "" && err != nil {
				t.Fatalf("want valid, got %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestDurationDays(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "0d": 0, "36h": 36 * time.Hour} {
		var d Duration
		if err := d.UnmarshalText([]byte(in)); err != nil || d.Duration != want {
			t.Errorf("%q = %v, %v; want %v", in, d.Duration, err, want)
		}
	}
	for _, bad := range []string{"d", "1.5d", "-1d", "99999d", "ninety"} {
		var d Duration
		if err := d.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q parsed as %v", bad, d.Duration)
		}
	}
}
