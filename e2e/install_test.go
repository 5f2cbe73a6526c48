package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// pathMark is what install.sh appends to the PATH lines it adds (and removes on uninstall).
const pathMark = "# added by mcp-gateway-agent install.sh"

// installRelease is a signed release of an agent built in the test, served by a real hub.
type installRelease struct {
	dir     string // the hub's [releases] dir
	version string
	pub     string // base64 public key
	hub     *hubtest.Hub
	script  string // install.sh as the hub serves it
}

func newInstallRelease(t *testing.T) *installRelease {
	t.Helper()
	data, err := os.ReadFile(buildInstallAgent(t))
	if err != nil {
		t.Fatal(err)
	}
	return newInstallReleaseOf(t, data, true)
}

// buildInstallAgent builds the agent as release 1.2.3 and returns the binary's path.
func buildInstallAgent(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mcp-gateway-agent")
	v := "github.com/mcp-gateway/mcp-gateway/shared/version."
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin,
		"-ldflags", "-X "+v+"Version=1.2.3 -X "+v+"Commit=c0ffee1 -X "+v+"Date=2026-11-22T00:00:00Z",
		"./agent/cmd/mcp-gateway-agent")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the agent: %v\n%s", err, out)
	}
	return bin
}

// newInstallReleaseOf signs a release 1.2.3 whose agent binary is data and starts a hub that
// serves it; hubKnowsKey says whether the hub has the release key to fill into install.sh.
func newInstallReleaseOf(t *testing.T, data []byte, hubKnowsKey bool) *installRelease {
	t.Helper()
	r := &installRelease{dir: t.TempDir(), version: "1.2.3"}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r.pub = base64.StdEncoding.EncodeToString(pub)
	if err := release.WriteRelease(r.dir, r.version, priv, map[string][]byte{runtime.GOOS + "/" + runtime.GOARCH: data}); err != nil {
		t.Fatal(err)
	}
	// The hub fills its own compiled-in release key into install.sh: this in-process hub gets
	// the test's key for the time it takes to build its handlers.
	saved := version.ReleaseKey
	version.ReleaseKey = ""
	if hubKnowsKey {
		version.ReleaseKey = r.pub
	}
	r.hub = hubtest.Start(t, func(c *config.Config) { c.Releases.Dir = r.dir })
	version.ReleaseKey = saved
	resp, err := http.Get(r.hub.URL + "/install.sh")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /install.sh: %d %s", resp.StatusCode, b)
	}
	r.script = filepath.Join(t.TempDir(), "install.sh")
	if err := os.WriteFile(r.script, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *installRelease) archive() string {
	return filepath.Join(r.dir, r.version, release.ArchiveName(r.version, runtime.GOOS, runtime.GOARCH))
}

// runScript runs `sh script args…` with HOME=home and the test's PATH (so sh, curl, tar,
// sha256sum and openssl are found, but no earlier install).
func runScript(t *testing.T, home, script string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", append([]string{script}, args...)...)
	cmd.Env = append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "SHELL=/bin/bash", "LC_ALL=C"}, env...)
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func agentBin(home string) string {
	return filepath.Join(home, ".mcp-gateway-agent", "bin", "mcp-gateway-agent")
}

func countMarks(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		if os.IsNotExist(err) {
			return 0
		}
		t.Fatal(err)
	}
	return strings.Count(string(b), pathMark)
}

func TestInstallShFromHub(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("install.sh is for Linux and macOS")
	}
	r := newInstallRelease(t)
	home := t.TempDir()
	var key []string // the release key comes from the hub, filled into the script

	t.Run("install", func(t *testing.T) {
		out, err := runScript(t, home, r.script, key)
		if err != nil {
			t.Fatalf("install.sh: %v\n%s", err, out)
		}
		for _, want := range []string{"matches checksums.txt", "signature of checksums.txt verified"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		v, err := exec.Command(agentBin(home), "version").CombinedOutput()
		if err != nil || !strings.Contains(string(v), "1.2.3 (c0ffee1, 2026-11-22T00:00:00Z)") {
			t.Fatalf("installed binary: version = %q, %v", v, err)
		}
		for _, rc := range []string{".profile", ".bashrc"} {
			if n := countMarks(t, filepath.Join(home, rc)); n != 1 {
				t.Errorf("%s has %d PATH lines, want 1", rc, n)
			}
		}
	})

	t.Run("PATH line works", func(t *testing.T) {
		cmd := exec.Command("sh", "-c", ". \"$HOME/.profile\"; . \"$HOME/.profile\"; command -v mcp-gateway-agent; echo \"$PATH\"")
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err != nil || len(lines) != 2 || lines[0] != agentBin(home) {
			t.Fatalf("after sourcing .profile: %v\n%s", err, out)
		}
		if strings.Count(lines[1], ".mcp-gateway-agent/bin") != 1 {
			t.Errorf("sourcing .profile twice put the bin dir in PATH %d times: %s", strings.Count(lines[1], ".mcp-gateway-agent/bin"), lines[1])
		}
	})

	t.Run("again, pinned version", func(t *testing.T) {
		out, err := runScript(t, home, r.script, key, "--version", r.version)
		if err != nil {
			t.Fatalf("second install.sh: %v\n%s", err, out)
		}
		for _, rc := range []string{".profile", ".bashrc"} {
			if n := countMarks(t, filepath.Join(home, rc)); n != 1 {
				t.Errorf("after two installs %s has %d PATH lines, want 1", rc, n)
			}
		}
	})

	t.Run("enroll", func(t *testing.T) { testInstallEnroll(t, r, home, key) })

	t.Run("agent uninstall", func(t *testing.T) {
		cmd := exec.Command(agentBin(home), "uninstall", "--yes")
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "SHELL=/bin/bash"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("mcp-gateway-agent uninstall --yes: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Dir(agentBin(home))); !os.IsNotExist(err) {
			t.Errorf("the bin dir is still there: %v\n%s", err, out)
		}
		for _, rc := range []string{".profile", ".bashrc"} {
			if n := countMarks(t, filepath.Join(home, rc)); n != 0 {
				t.Errorf("after the agent's uninstall %s has %d PATH lines", rc, n)
			}
		}
		if out, err := runScript(t, home, r.script, key); err != nil {
			t.Fatalf("install again: %v\n%s", err, out)
		}
	})

	t.Run("uninstall", func(t *testing.T) {
		out, err := runScript(t, home, r.script, nil, "--uninstall")
		if err != nil {
			t.Fatalf("install.sh --uninstall: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Dir(agentBin(home))); !os.IsNotExist(err) {
			t.Errorf("the bin dir is still there: %v", err)
		}
		for _, rc := range []string{".profile", ".bashrc"} {
			if n := countMarks(t, filepath.Join(home, rc)); n != 0 {
				t.Errorf("after uninstall %s has %d PATH lines", rc, n)
			}
		}
		if _, err := os.Stat(filepath.Join(home, ".mcp-gateway-agent")); err != nil {
			t.Errorf("the agent's home (config) was removed without --purge: %v", err)
		}
		if out, err = runScript(t, home, r.script, nil, "--uninstall", "--purge"); err != nil {
			t.Fatalf("install.sh --uninstall --purge: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(home, ".mcp-gateway-agent")); !os.IsNotExist(err) {
			t.Errorf("--purge left the agent's home: %v", err)
		}
	})
}

// testInstallEnroll runs install.sh --enroll with an agent key the hub enrolled.
func testInstallEnroll(t *testing.T, r *installRelease, home string, key []string) {
	if out, _ := exec.Command(agentBin(home), "setup", "--help").CombinedOutput(); strings.Contains(string(out), "unknown command") {
		t.Skip("mcp-gateway-agent has no `setup` command yet (issue 5 part 3): --enroll cannot be tested")
	}
	agentKey := r.hub.EnrollAgent(t, "laptop")
	out, err := runScript(t, home, r.script, key, "--enroll", agentKey, "--agent-id", "laptop")
	if err != nil {
		t.Fatalf("install.sh --enroll: %v\n%s", err, out)
	}
	// --enroll still works, but the key was on sh's command line: the script says so.
	if !strings.Contains(out, "given with --enroll") || !strings.Contains(out, "MCPGW_ENROLL=mcpgw_... sh") {
		t.Errorf("install.sh --enroll KEY does not warn that the key was on a command line:\n%s", out)
	}
	cfg := filepath.Join(home, ".mcp-gateway-agent", "config.toml")
	st, err := os.Stat(cfg)
	if err != nil {
		t.Fatalf("--enroll wrote no config: %v\n%s", err, out)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config.toml mode %o, want 600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(cfg)
	if !strings.Contains(string(b), agentKey) || !strings.Contains(string(b), "laptop") {
		t.Errorf("config.toml lacks the key or the agent id:\n%s", b)
	}
	// A key the hub does not know is refused, and install.sh says so.
	out, err = runScript(t, home, r.script, key, "--enroll", "mcpgw_notakey", "--agent-id", "laptop")
	if err == nil || !strings.Contains(out, "enrolment failed") {
		t.Errorf("a refused key: %v\n%s", err, out)
	}
}

// TestInstallShRefusesTampering: a changed archive fails the checksum; a changed archive with
// checksums.txt recomputed to match fails the signature; nothing is installed either way.
func TestInstallShRefusesTampering(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("install.sh is for Linux and macOS")
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is needed for the signature half of this test")
	}
	r := newInstallRelease(t)
	files := http.FileServer(http.Dir(r.dir))
	srv := httptest.NewServer(files)
	defer srv.Close()
	args := []string{"--releases", srv.URL, "--version", r.version, "--no-modify-path"}
	key := []string{"MCPGW_RELEASE_KEY=" + r.pub}

	home := t.TempDir()
	if out, err := runScript(t, home, r.script, key, args...); err != nil {
		t.Fatalf("the untouched release from a plain file server: %v\n%s", err, out)
	}
	if n := countMarks(t, filepath.Join(home, ".profile")); n != 0 {
		t.Errorf("--no-modify-path still added %d PATH lines", n)
	}

	b, err := os.ReadFile(r.archive())
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(r.archive(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	home = t.TempDir()
	out, err := runScript(t, home, r.script, key, args...)
	if err == nil || !strings.Contains(out, "checksum mismatch") {
		t.Fatalf("a tampered archive: %v\n%s", err, out)
	}
	if _, err := os.Stat(agentBin(home)); !os.IsNotExist(err) {
		t.Fatalf("a tampered archive was installed: %v", err)
	}

	// The attacker recomputes checksums.txt: the signature no longer matches.
	sums := filepath.Join(r.dir, r.version, release.ChecksumsFile)
	cs, err := os.ReadFile(sums)
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := release.Sum(strings.NewReader(string(b)))
	name := filepath.Base(r.archive())
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(cs)), "\n") {
		if strings.HasSuffix(l, "  "+name) {
			l = hex.EncodeToString(sum[:]) + "  " + name
		}
		lines = append(lines, l)
	}
	if err := os.WriteFile(sums, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runScript(t, home, r.script, key, args...)
	if err == nil || !strings.Contains(out, "bad signature") {
		t.Fatalf("recomputed checksums with the old signature: %v\n%s", err, out)
	}
	if _, err := os.Stat(agentBin(home)); !os.IsNotExist(err) {
		t.Fatalf("a release with a bad signature was installed: %v", err)
	}
	// --insecure-skip-signature lets an install go on when no check is possible, never past
	// a check that fails.
	out, err = runScript(t, home, r.script, key, append(args, "--insecure-skip-signature")...)
	if err == nil || !strings.Contains(out, "bad signature") {
		t.Fatalf("a bad signature with --insecure-skip-signature: %v\n%s", err, out)
	}
	if _, err := os.Stat(agentBin(home)); !os.IsNotExist(err) {
		t.Fatalf("a release with a bad signature was installed with --insecure-skip-signature: %v", err)
	}
	// Without a key, install.sh cannot see the forgery: it refuses, by default and with the
	// old --require-signature. (The repository's install.sh: the hub's copy carries the hub's key.)
	for _, extra := range [][]string{nil, {"--require-signature"}} {
		out, err = runScript(t, home, filepath.Join(repoRoot(t), "install.sh"), nil, append(args, extra...)...)
		if err == nil || !strings.Contains(out, "cannot check the release signature: no release public key known") ||
			!strings.Contains(out, "--insecure-skip-signature") {
			t.Fatalf("no key, %q: %v\n%s", extra, err, out)
		}
		if _, err := os.Stat(agentBin(home)); !os.IsNotExist(err) {
			t.Fatalf("no key, %q: installed: %v", extra, err)
		}
	}
}

// TestInstallShTruncatedRunsNothing: install.sh cut anywhere before its end defines
// functions at most; it downloads nothing and writes nothing. That includes every cut inside
// the last line: "mcpgw_main" without its "$@" would run an install with none of the
// user's options (an install instead of --uninstall, without --enroll).
func TestInstallShTruncatedRunsNothing(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.Error(w, "no", http.StatusNotFound)
	}))
	defer srv.Close()
	full, err := os.ReadFile(filepath.Join(repoRoot(t), "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	lastLine := strings.LastIndex(strings.TrimRight(string(full), "\n"), "\n") + 1
	cuts := []int{len(full) / 2}
	for i := 1; i < 40; i++ {
		cuts = append(cuts, lastLine*i/40)
	}
	// Every cut within the last line.
	for i := lastLine; i < len(strings.TrimRight(string(full), "\n")); i++ {
		cuts = append(cuts, i)
	}
	dir := t.TempDir()
	for _, n := range cuts {
		home := t.TempDir()
		part := filepath.Join(dir, "part.sh")
		if err := os.WriteFile(part, full[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := runScript(t, home, part, []string{"MCPGW_HUB=" + srv.URL}, "--hub", srv.URL)
		if entries, _ := os.ReadDir(home); len(entries) != 0 || hits.Load() != 0 {
			t.Fatalf("install.sh cut at byte %d of %d ran: %d requests, HOME has %d entries\n%s", n, len(full), hits.Load(), len(entries), out)
		}
	}
	// The whole script does reach the server: the check above can fail.
	home := t.TempDir()
	if out, err := runScript(t, home, filepath.Join(repoRoot(t), "install.sh"), nil, "--hub", srv.URL); err == nil || hits.Load() == 0 {
		t.Fatalf("the whole script made no request (%d): %v\n%s", hits.Load(), err, out)
	}
}

// TestInstallShBadArguments: mistakes on the command line are named, and nothing is written.
func TestInstallShBadArguments(t *testing.T) {
	script := filepath.Join(repoRoot(t), "install.sh")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown option --bogus"},
		{[]string{"--hub"}, "--hub needs a value"},
		{[]string{"--hub", "http://a b"}, "may only contain"},
		{[]string{"--hub", "ftp://example.com"}, "must be an http:// or https:// URL"},
		{[]string{"--hub", "http://127.0.0.1:1", "--version", "../../etc"}, "is not a plain name"},
		{[]string{"--releases", "http://127.0.0.1:1"}, "--releases needs --version"},
		{nil, "no hub given"},
	} {
		home := t.TempDir()
		out, err := runScript(t, home, script, nil, tc.args...)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("install.sh %q: %v, want %q in\n%s", tc.args, err, tc.want, out)
		}
		if entries, _ := os.ReadDir(home); len(entries) != 0 {
			t.Errorf("install.sh %q wrote into HOME", tc.args)
		}
	}
	out, err := runScript(t, t.TempDir(), script, nil, "--help")
	if err != nil || !strings.Contains(out, "--enroll TOKEN") {
		t.Errorf("--help: %v\n%s", err, out)
	}
}

// TestInstallShEnrollKeyNotInArgv: the agent key reaches `mcp-gateway-agent setup` through
// its environment (MCPGW_API_KEY), not its command line, which every user of the machine can
// read (ps, /proc/PID/cmdline). The release's binary is a stand-in that records both.
func TestInstallShEnrollKeyNotInArgv(t *testing.T) {
	const agentKey = "mcpgw_installshkeyinargvtest0123456789abcdefgh"
	home := t.TempDir()
	record := filepath.Join(t.TempDir(), "calls")
	standIn := "#!/bin/sh\n" +
		"printf 'argv: %s\\n' \"$*\" >>'" + record + "'\n" +
		"printf 'env: %s\\n' \"${MCPGW_API_KEY:-}\" >>'" + record + "'\n" +
		"[ \"$1\" = version ] && echo 'mcp-gateway-agent 1.2.3 (c0ffee1, 2026-11-22)'\n" +
		"exit 0\n"
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := release.WriteRelease(dir, "1.2.3", priv, map[string][]byte{runtime.GOOS + "/" + runtime.GOARCH: []byte(standIn)}); err != nil {
		t.Fatal(err)
	}
	hub := hubtest.Start(t, func(c *config.Config) { c.Releases.Dir = dir })
	out, err := runScript(t, home, filepath.Join(repoRoot(t), "install.sh"),
		[]string{"MCPGW_ENROLL=" + agentKey}, "--hub", hub.URL, "--release-key", base64.StdEncoding.EncodeToString(pub), "--no-modify-path")
	if err != nil {
		t.Fatalf("install.sh with MCPGW_ENROLL: %v\n%s", err, out)
	}
	calls, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(calls), "argv: setup --hub "+hub.URL) {
		t.Fatalf("setup was not run:\n%s", calls)
	}
	for _, l := range strings.Split(string(calls), "\n") {
		if strings.HasPrefix(l, "argv: ") && strings.Contains(l, agentKey) {
			t.Errorf("the agent key is on a command line: %s", l)
		}
	}
	if !strings.Contains(string(calls), "env: "+agentKey) {
		t.Errorf("setup did not get the key in MCPGW_API_KEY:\n%s", calls)
	}
	if strings.Contains(out, agentKey) {
		t.Errorf("install.sh printed the agent key:\n%s", out)
	}
}

// The release archive's download shows curl's progress bar on a terminal (issue 12: long
// downloads showed nothing), and nothing of it in a log (no terminal). The terminal is a pty
// from util-linux's script(1).
func TestInstallShShowsProgressOnTerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("no script(1) to give the install a terminal")
	}
	r := newInstallRelease(t)
	home := t.TempDir()
	cmd := exec.Command("script", "-qec", "sh "+r.script+" --no-modify-path", "/dev/null")
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "SHELL=/bin/sh", "LC_ALL=C", "TERM=dumb"}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "100.0%") {
		t.Fatalf("install on a terminal: %v, want curl's progress bar:\n%s", err, out)
	}
	plain, err := runScript(t, t.TempDir(), r.script, nil, "--no-modify-path")
	if err != nil || strings.Contains(plain, "100.0%") || strings.Contains(plain, "###") {
		t.Errorf("install without a terminal: %v, want no progress bar:\n%s", err, plain)
	}
}
