package mcpgateway

import (
	"os"
	"os/exec"
	"testing"
)

// TestReleaseTargetsCompile builds both binaries for the six release targets the way
// .goreleaser.yaml does (CGO off, -trimpath), so a platform file that breaks darwin or windows
// fails CI even where goreleaser is not installed (a goreleaser snapshot also links and
// archives them: docs/INSTALL.md). With a warm build cache it takes seconds.
func TestReleaseTargetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: cross builds skipped")
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			// Two packages at once: go build compiles them and discards the result (no link),
			// which checks every file of every platform and stays in the build cache.
			c := exec.Command("go", "build", "-trimpath", "./hub/cmd/mcp-gateway-hub", "./agent/cmd/mcp-gateway-agent")
			c.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
			if b, err := c.CombinedOutput(); err != nil {
				t.Errorf("%s/%s: %v\n%s", goos, goarch, err, b)
			}
		}
	}
}
