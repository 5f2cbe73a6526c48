package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	s := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-11-22T01:00:00Z"}, {Key: "vcs.modified", Value: "true"}}
	if c, d := fromBuildInfo(s, "none", "unknown"); c != "0123456789ab-dirty" || d != "2026-11-22T01:00:00Z" {
		t.Errorf("got %s, %s", c, d)
	}
	if c, d := fromBuildInfo(nil, "none", "unknown"); c != "none" || d != "unknown" {
		t.Errorf("without vcs settings: %s, %s", c, d)
	}
}

// The version shown: the link-time one, else the module version Go recorded, else "dev";
// String begins with Current.
func TestResolve(t *testing.T) {
	for _, c := range []struct{ linked, module, want string }{
		{"v1.2.3", "v0.0.0-20261206-abcdef", "v1.2.3"},
		{"dev", "v1.4.0", "v1.4.0"},
		{"dev", "v0.0.0-20261206203000-1e723df12345+dirty", "v0.0.0-20261206203000-1e723df12345+dirty"},
		{"dev", "(devel)", "dev"},
		{"dev", "", "dev"},
	} {
		if got := resolve(c.linked, c.module); got != c.want {
			t.Errorf("resolve(%q, %q) = %q, want %q", c.linked, c.module, got, c.want)
		}
	}
	saved := Version
	t.Cleanup(func() { Version = saved })
	Version = "v7.7.7"
	if Current() != "v7.7.7" || !strings.HasPrefix(String(), "v7.7.7 (") {
		t.Errorf("Current %q, String %q", Current(), String())
	}
}
