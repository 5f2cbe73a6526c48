package mcpgateway

import (
	"os"
	"os/exec"
	"testing"
)

// TestReleaseTargetsCompile builds both binaries for release targets the way .goreleaser.yaml
// does (CGO off, -trimpath), so a platform file that breaks darwin or windows fails CI even
// where goreleaser is not installed (a goreleaser snapshot also links and archives them:
// docs/INSTALL.md). The default run builds one target of each other OS (darwin/arm64,
// windows/amd64), which covers every build tag of the code; MCPGW_CROSSBUILD=all builds all
// six (CI may run it on its own: on a cold cache and a busy 2-core machine it takes many
// minutes, docs/TESTING.md).
func TestReleaseTargetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: cross builds skipped")
	}
	targets := [][2]string{{"darwin", "arm64"}, {"windows", "amd64"}}
	if os.Getenv("MCPGW_CROSSBUILD") == "all" {
		targets = nil
		for _, goos := range []string{"linux", "darwin", "windows"} {
			for _, goarch := range []string{"amd64", "arm64"} {
				targets = append(targets, [2]string{goos, goarch})
			}
		}
	}
	for _, tg := range targets {
		// Two packages at once: go build compiles them and discards the result (no link),
		// which checks every file of every platform and stays in the build cache.
		c := exec.Command("go", "build", "-trimpath", "./hub/cmd/mcp-gateway-hub", "./agent/cmd/mcp-gateway-agent")
		c.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+tg[0], "GOARCH="+tg[1])
		if b, err := c.CombinedOutput(); err != nil {
			t.Errorf("%s/%s: %v\n%s", tg[0], tg[1], err, b)
		}
	}
}
