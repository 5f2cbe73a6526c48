package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// TestInstallShFromSelfBuiltHub is the one-line install against a hub built from source, with
// no [releases] table and no release key compiled in (issue 12): before anything is built
// the script stops on the hub's answer, which names `releases build`; `releases build`, run
// while the hub runs, builds the agent from the source tree, signs it with a key it makes in
// the data dir, and the real install.sh from the same hub then installs and enrols the agent,
// checking the signature with that key. The installed agent reports the release's version. A second
// build with a newer version is offered at once, without restarting the hub.
func TestInstallShFromSelfBuiltHub(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent")
	}
	hubBin := buildBinary(t, "hub/cmd/mcp-gateway-hub")
	data := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	hubURL := "http://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := exec.CommandContext(ctx, hubBin, "serve", "--data-dir", data, "--listen", addr)
	hub.Env = append(os.Environ(), "MCPGW_RELEASE_KEY=")
	var hubOut syncbuf.Buffer
	hub.Stdout, hub.Stderr = &hubOut, &hubOut
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); hub.Wait() }()
	if !waitfor.Poll(60*time.Second, func() bool {
		resp, err := http.Get(hubURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}) {
		t.Fatalf("hub not ready:\n%s", hubOut.String())
	}
	ownerKey, err := os.ReadFile(filepath.Join(data, "owner.key"))
	if err != nil {
		t.Fatalf("owner key: %v\n%s", err, hubOut.String())
	}
	install := func(home string, env ...string) (string, error) {
		cmd := exec.Command("sh", "-c", "curl -fsSL "+hubURL+"/install.sh | sh")
		cmd.Env = append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "SHELL=/bin/sh", "LC_ALL=C"}, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	// Nothing built yet: the script stops, and says what to do.
	home := t.TempDir()
	out, err := install(home)
	if err == nil {
		t.Fatalf("install before any build succeeded:\n%s", out)
	}
	if !strings.Contains(out, "releases build") {
		t.Errorf("install before any build does not name `releases build`:\n%s", out)
	}
	if _, err := os.Stat(agentBin(home)); err == nil {
		t.Fatal("a binary was installed before any release was built")
	}

	// The one command, run beside the running hub.
	platform := runtime.GOOS + "/" + runtime.GOARCH
	build := exec.Command(hubBin, "releases", "build", "--data-dir", data, "--source", repoRoot(t), "--targets", platform)
	b, err := build.CombinedOutput()
	if err != nil {
		t.Fatalf("releases build: %v\n%s", err, b)
	}
	t.Logf("releases build:\n%s", b)
	info, err := os.Stat(filepath.Join(data, "release-signing", "release.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("signing key: %v (mode %v), want a 0600 file in the data dir", err, info)
	}
	// The version is the hub's own where that is a release version; a build without one
	// (this test's hub says "dev") gets v0.0.0-dev.TIME. Either way the build names it.
	m := regexp.MustCompile(`Release (\S+) for`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("releases build names no version:\n%s", b)
	}
	want := string(m[1])

	// Enrol an agent through the running hub, then the README's one-liner.
	enroll := exec.Command(hubBin, "agents", "enroll", "laptop", "--hub", hubURL)
	enroll.Env = append(os.Environ(), "MCPGW_KEY="+strings.TrimSpace(string(ownerKey)))
	eout, err := enroll.CombinedOutput()
	if err != nil {
		t.Fatalf("agents enroll: %v\n%s", err, eout)
	}
	agentKey := regexp.MustCompile(`mcpgw_\S+`).FindString(string(eout))
	cmd := exec.Command("sh", "-c", "curl -fsSL "+hubURL+"/install.sh | MCPGW_ENROLL="+agentKey+" sh -s -- --agent-id laptop")
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "SHELL=/bin/sh", "LC_ALL=C"}
	o, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("install from the self-built hub: %v\n%s", err, o)
	}
	if !strings.Contains(string(o), "Ed25519 signature of checksums.txt verified") {
		t.Errorf("install did not verify the signature:\n%s", o)
	}
	v, err := exec.Command(agentBin(home), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(v)); len(got) < 2 || got[1] != want {
		t.Errorf("installed agent says %q, want the release's version %s", v, want)
	}
	if _, err := os.Stat(filepath.Join(home, ".mcp-gateway-agent", "config.toml")); err != nil {
		t.Errorf("the install did not enrol the agent: %v\n%s", err, o)
	}

	// A newer build is offered at once.
	build = exec.Command(hubBin, "releases", "build", "--data-dir", data, "--source", repoRoot(t), "--targets", platform, "--version", "v99.0.0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("second releases build: %v\n%s", err, b)
	}
	resp, err := http.Get(hubURL + "/api/v1/agent/releases/latest?os=" + runtime.GOOS + "&arch=" + runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var latest struct{ Version string }
	json.NewDecoder(resp.Body).Decode(&latest)
	if latest.Version != "v99.0.0" {
		t.Errorf("after a second build the hub offers %q, want v99.0.0", latest.Version)
	}
}
