package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// drain_timeout: 30 s by default, read from hub.toml, 0 (no draining) allowed, negative or
// above an hour refused with the setting's name.
func TestDrainTimeout(t *testing.T) {
	if d := Default().DrainTimeout.Duration; d != 30*time.Second {
		t.Errorf("default drain_timeout %s, want 30s", d)
	}
	for _, tc := range []struct {
		value string
		want  time.Duration
		err   string
	}{
		{`"45s"`, 45 * time.Second, ""},
		{`"0s"`, 0, ""},
		{`"-1s"`, 0, "drain_timeout -1s: want between 0 (no draining) and 1h"},
		{`"2h"`, 0, "drain_timeout 2h0m0s: want between 0 (no draining) and 1h"},
	} {
		path := filepath.Join(t.TempDir(), "hub.toml")
		if err := os.WriteFile(path, []byte("drain_timeout = "+tc.value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("drain_timeout = %s: %v", tc.value, err)
		case tc.err == "" && c.DrainTimeout.Duration != tc.want:
			t.Errorf("drain_timeout = %s read as %s", tc.value, c.DrainTimeout.Duration)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("drain_timeout = %s: error %v, want %q", tc.value, err, tc.err)
		}
	}
}
