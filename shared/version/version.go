// Package version holds build information set at link time with -ldflags.
package version

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

// String is the one-line version shown by the `version` subcommands.
func String() string { return Version + " (" + Commit + ", " + Date + ")" }
