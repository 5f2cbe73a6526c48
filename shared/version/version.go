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

// Current is the version this build reports everywhere — the `version` commands, logs, the
// hub's serverInfo and OpenAPI document, what the hub tells agents in welcome and what an
// agent says in hello: Version when set at link time; else the module version Go recorded
// (`go install …@v1.2.3`, or the pseudo-version of a build in a checkout); else "dev".
// Whether a build updates itself is decided on Version alone: only a release build does.
func Current() string { return current().version }

// String is the one-line version shown by the `version` subcommands: Current, and the
// commit and time of the build (set at link time, else the git commit and time Go recorded
// of a build in a checkout, with -buildvcs), if any.
func String() string {
	b := current()
	return b.version + " (" + b.commit + ", " + b.date + ")"
}

type build struct{ version, commit, date string }

// current reads the variables on each call: tests set Version.
func current() build {
	b := build{Version, Commit, Date}
	if info, ok := debug.ReadBuildInfo(); ok {
		b.version = resolve(b.version, info.Main.Version)
		if b.commit == "none" {
			b.commit, b.date = fromBuildInfo(info.Settings, b.commit, b.date)
		}
	}
	return b
}

// resolve is the version to report: the link-time one unless it is "dev" and Go recorded a
// module version.
func resolve(linked, module string) string {
	if linked == "dev" && module != "" && module != "(devel)" {
		return module
	}
	return linked
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
