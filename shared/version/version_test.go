package version

import (
	"runtime/debug"
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
