// Package version holds build information set at link time with -ldflags.
package version

import "runtime/debug"

// Set with -ldflags "-X github.com/mcp-gateway/mcp-gateway/shared/version.Version=v1.2.3".
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
	// ReleaseKey is the base64 Ed25519 public key that signs agent releases
	// (`mcp-gateway-hub releases keygen` prints it); the agent verifies updates with it.
	// Empty in builds made without it: then only [agent] release_public_key is trusted.
	ReleaseKey = ""
)

// String is the one-line version shown by the `version` subcommands. A build without
// ldflags shows what Go recorded instead: the module version of `go install …@v1.2.3`, and
// the git commit and time of a build in a checkout (with -buildvcs), if any.
func String() string {
	v, commit, date := Version, Commit, Date
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		if commit == "none" {
			commit, date = fromBuildInfo(info.Settings, commit, date)
		}
	}
	return v + " (" + commit + ", " + date + ")"
}

func fromBuildInfo(settings []debug.BuildSetting, commit, date string) (string, string) {
	dirty := false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
			if len(commit) > 12 {
				commit = commit[:12]
			}
		case "vcs.time":
			date = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && commit != "none" {
		commit += "-dirty"
	}
	return commit, date
}
