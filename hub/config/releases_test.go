package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReleasesFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.toml")
	os.WriteFile(path, []byte(`
[releases]
upstream = "https://github.com/o/r/releases/download/"
pinned_version = "v1.2.0-rc.1"
rollout_percent = 25
upstream_cache = "90s"
`), 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Releases
	if !r.Enabled() || r.PinnedVersion != "v1.2.0-rc.1" || r.RolloutPercent != 25 || r.UpstreamCache.Duration != 90*time.Second {
		t.Fatalf("loaded %+v", r)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := r.LatestURL(); got != "https://github.com/o/r/releases/download/latest/checksums.txt" {
		t.Errorf("LatestURL = %s", got)
	}
	if d := Default(); d.Releases.Enabled() || d.Releases.RolloutPercent != 100 {
		t.Errorf("defaults: %+v", d.Releases)
	}
}

func TestReleasesValidate(t *testing.T) {
	for _, c := range []struct {
		r    Releases
		want string
	}{
		{Releases{Dir: "/x", RolloutPercent: 0}, ""},
		{Releases{Dir: "/x", Upstream: "https://u", RolloutPercent: 100}, "not both"},
		{Releases{Upstream: "file:///x", RolloutPercent: 100}, "releases.upstream"},
		{Releases{UpstreamLatest: "https://u/latest", RolloutPercent: 100}, "without releases.upstream"},
		{Releases{Dir: "/x", PinnedVersion: "latest", RolloutPercent: 100}, "releases.pinned_version"},
		{Releases{Dir: "/x", RolloutPercent: -1}, "rollout_percent -1"},
		{Releases{Dir: "/x", RolloutPercent: 100, UpstreamCache: Duration{-time.Second}}, "upstream_cache"},
	} {
		err := c.r.Validate()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.r, err, c.want)
		}
	}
	path := filepath.Join(t.TempDir(), "hub.toml")
	os.WriteFile(path, []byte("[releases]\nupstream_cache = \"soon\"\n"), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "soon") {
		t.Errorf("bad duration: %v", err)
	}
}
