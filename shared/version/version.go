// Package version holds build information set at link time with -ldflags.
package version

// Set with -ldflags "-X github.com/mcp-gateway/mcp-gateway/shared/version.Version=v1.2.3".
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)

// String is the one-line version shown by the `version` subcommands.
func String() string { return Version + " (" + Commit + ", " + Date + ")" }
