package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// installTools is every program install.sh runs by name on Linux (sh builtins aside). A tool
// missing here makes the script fail with "not found", so the list cannot silently go stale.
var installTools = []string{
	"sh", "curl", "uname", "mktemp", "rm", "tr", "sed", "head", "awk", "sha256sum", "openssl",
	"tar", "gzip", "find", "mkdir", "cp", "chmod", "mv", "cat", "grep", "sort", "dirname", "tail",
}

// toolsDir makes a directory to use as the whole PATH of an install: for each of installTools
// (except those in omit) a small sh script that appends its own name and arguments, one line
// per call, to record (when not empty), then runs the real program. Everything the script and
// the shells it starts run by name leaves its exact argv in record.
func toolsDir(t *testing.T, record string, omit ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range installTools {
		if slices.Contains(omit, name) {
			continue
		}
		real, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("install.sh needs %s: %v", name, err)
		}
		script := "#!/bin/sh\n"
		if record != "" {
			script += "printf '%s\\n' \"${0##*/} $*\" >>'" + record + "'\n"
		}
		script += "exec '" + real + "' \"$@\"\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runInstall runs `sh script args…` with HOME=home and PATH=path only.
func runInstall(t *testing.T, home, path, script string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{script}, args...)...)
	cmd.Env = append([]string{"HOME=" + home, "PATH=" + path, "SHELL=/bin/sh", "LC_ALL=C"}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestInstallShFailsClosedWithoutOpenssl: with the release key known but no openssl that can
// verify Ed25519, install.sh used to install on the checksum alone after a warning. It must
// stop, name the problem and the way out, and install nothing; --insecure-skip-signature (or
// MCPGW_INSECURE_SKIP_SIGNATURE=1) spelled out by the user lets it go on.
//
// The machines have OpenSSL 3, so the two ways of lacking one are made here: a PATH without
// any openssl, and a PATH whose openssl is a stand-in that behaves like macOS's LibreSSL —
// `openssl pkeyutl` does not know -rawin (nor Ed25519 in pkeyutl) and fails; every other
// command goes to the real openssl.
func TestInstallShFailsClosedWithoutOpenssl(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the PATH of tool wrappers is made for Linux")
	}
	r := newInstallRelease(t)
	noOpenssl := toolsDir(t, "", "openssl")
	libre := toolsDir(t, "", "openssl")
	realOpenssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\n# Like LibreSSL's openssl: pkeyutl cannot verify raw Ed25519 input.\n" +
		"if [ \"$1\" = pkeyutl ]; then echo 'pkeyutl: unknown option -rawin' >&2; exit 1; fi\n" +
		"exec '" + realOpenssl + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(libre, "openssl"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{{"no openssl", noOpenssl}, {"LibreSSL-like openssl", libre}} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			out, err := runInstall(t, home, tc.path, r.script, nil, "--no-modify-path")
			if err == nil {
				t.Fatalf("install.sh installed without a signature check:\n%s", out)
			}
			for _, want := range []string{"cannot check the release signature: no openssl on PATH can verify Ed25519",
				"nothing was installed", "--insecure-skip-signature"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if _, err := os.Stat(agentBin(home)); !os.IsNotExist(err) {
				t.Fatalf("the agent was installed: %v\n%s", err, out)
			}
			for _, way := range []struct {
				env  []string
				args []string
			}{{nil, []string{"--insecure-skip-signature"}}, {[]string{"MCPGW_INSECURE_SKIP_SIGNATURE=1"}, nil}} {
				home := t.TempDir()
				out, err := runInstall(t, home, tc.path, r.script, way.env, append(way.args, "--no-modify-path")...)
				if err != nil {
					t.Fatalf("install.sh %q %q: %v\n%s", way.env, way.args, err, out)
				}
				if !strings.Contains(out, "release signature NOT checked") || !strings.Contains(out, "matches checksums.txt") {
					t.Errorf("install.sh %q %q does not say what it did not check:\n%s", way.env, way.args, out)
				}
				if _, err := os.Stat(agentBin(home)); err != nil {
					t.Errorf("install.sh %q %q installed nothing: %v", way.env, way.args, err)
				}
			}
		})
	}
	// The same PATH with the real openssl verifies and installs: the refusals above come
	// from the missing openssl, not from the PATH.
	home := t.TempDir()
	out, err := runInstall(t, home, toolsDir(t, ""), r.script, nil, "--no-modify-path")
	if err != nil || !strings.Contains(out, "signature of checksums.txt verified") {
		t.Fatalf("with the real openssl: %v\n%s", err, out)
	}
}

// TestInstallShFromHubWithoutReleaseKey: a hub built without a release key serves install.sh
// with none filled in. That script used to install anything after one warning; it must stop,
// say that this hub has no key, and go on only with --insecure-skip-signature (or a key).
func TestInstallShFromHubWithoutReleaseKey(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("install.sh is for Linux and macOS")
	}
	data, err := os.ReadFile(buildInstallAgent(t))
	if err != nil {
		t.Fatal(err)
	}
	r := newInstallReleaseOf(t, data, false)
	home := t.TempDir()
	out, err := runScript(t, home, r.script, nil, "--no-modify-path")
	if err == nil {
		t.Fatalf("install.sh from a hub without a release key installed:\n%s", out)
	}
	for _, want := range []string{"the hub " + r.hub.URL + " serves no release public key", "nothing was installed",
		"--release-key KEY", "--insecure-skip-signature"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(agentBin(home)); !os.IsNotExist(err) {
		t.Fatalf("the agent was installed: %v", err)
	}
	// The key given by the user: verified and installed.
	out, err = runScript(t, home, r.script, []string{"MCPGW_RELEASE_KEY=" + r.pub}, "--no-modify-path")
	if err != nil || !strings.Contains(out, "signature of checksums.txt verified") {
		t.Fatalf("with MCPGW_RELEASE_KEY: %v\n%s", err, out)
	}
	// No key, and the user accepts that in so many words.
	home = t.TempDir()
	out, err = runScript(t, home, r.script, nil, "--no-modify-path", "--insecure-skip-signature")
	if err != nil || !strings.Contains(out, "release signature NOT checked") {
		t.Fatalf("with --insecure-skip-signature: %v\n%s", err, out)
	}
	if _, err := os.Stat(agentBin(home)); err != nil {
		t.Fatalf("--insecure-skip-signature installed nothing: %v", err)
	}
}

// TestInstallShOneLinerKeepsKeyOffArgv runs the README's enrolment one-liner against a real
// hub, the real agent enrolling for real, and checks that the agent key is on no command line
// (ps, /proc/PID/cmdline: readable by every user of the machine). Polling /proc while the
// install runs could miss a short-lived process, so instead every program started on the way
// is a recorder: PATH holds only wrappers (toolsDir) that log their exact argv and run the
// real tool, and the release's binary is a wrapper that logs its argv and runs the real agent.
// The shell that reads the one-liner stands for the user's interactive shell, where a typed
// line is parsed, not passed as argv; the key reaches it through the environment.
func TestInstallShOneLinerKeepsKeyOffArgv(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the PATH of tool wrappers is made for Linux")
	}
	line := readmeEnrollLine(t)
	record := filepath.Join(t.TempDir(), "argv")
	agent := buildInstallAgent(t)
	wrapper := "#!/bin/sh\nprintf '%s\\n' \"mcp-gateway-agent $*\" >>'" + record + "'\nexec '" + agent + "' \"$@\"\n"
	r := newInstallReleaseOf(t, []byte(wrapper), true)
	agentKey := r.hub.EnrollAgent(t, "my-macbook")

	// The README's hub (https://HUB, or the quick start's http://127.0.0.1:3200) is this test's.
	cmdLine := readmeHubURL.ReplaceAllString(line, r.hub.URL+"/install.sh")
	cmdLine = strings.ReplaceAll(cmdLine, "mcpgw_…", `"$TEST_AGENT_KEY"`)
	home := t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", cmdLine)
	cmd.Env = []string{"HOME=" + home, "PATH=" + toolsDir(t, record), "SHELL=/bin/sh", "LC_ALL=C", "TEST_AGENT_KEY=" + agentKey}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmdLine, err, out)
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	calls := "\n" + string(b) // the pipeline's sh and curl start in either order
	if !strings.Contains(calls, "mcp-gateway-agent setup --hub "+r.hub.URL+" --agent-id my-macbook") ||
		!strings.Contains(calls, "\ncurl ") || !strings.Contains(calls, "\nsh ") {
		t.Fatalf("the recorders missed the install's commands:\n%s", calls)
	}
	sc := bufio.NewScanner(strings.NewReader(calls))
	for sc.Scan() {
		if strings.Contains(sc.Text(), agentKey) {
			t.Errorf("the agent key is on a command line: %s", sc.Text())
		}
	}
	if strings.Contains(string(out), agentKey) || strings.Contains(string(out), "given with --enroll") {
		t.Errorf("the install printed the key, or warned about --enroll:\n%s", out)
	}
	// The enrolment happened: the real agent checked the key with the hub and wrote it.
	b, err = os.ReadFile(filepath.Join(home, ".mcp-gateway-agent", "config.toml"))
	if err != nil || !strings.Contains(string(b), agentKey) {
		t.Fatalf("config.toml after the one-liner: %v\n%s\n%s", err, b, out)
	}
}

// readmeEnrollLine is the README's one-liner that installs and enrols with install.sh.
// readmeHubURL is the hub's address in the README's install line.
var readmeHubURL = regexp.MustCompile(`https?://[^ /]+/install\.sh`)

func readmeEnrollLine(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "curl ") && strings.Contains(l, "/install.sh |") && strings.Contains(l, "mcpgw_…") {
			return l
		}
	}
	t.Fatal("README.md has no `curl … /install.sh | …` line with an agent key mcpgw_…")
	return ""
}
