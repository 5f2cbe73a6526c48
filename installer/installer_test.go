package installer

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testSpec has the awkward characters each format must escape: a space, %, $, a quote, <&>.
func testSpec() Spec {
	return Spec{
		Executable: "/home/ann lee/.mcp-gateway-agent/bin/mcp-gateway-agent",
		ConfigPath: "/home/ann lee/.mcp-gateway-agent/config.toml",
		WorkDir:    "/home/ann lee",
		StderrPath: "/home/ann lee/.mcp-gateway-agent/logs/stderr.log",
		Env: map[string]string{
			"PATH": "/home/ann lee/.nvm/versions/node/v22/bin:/usr/local/bin:/usr/bin:/bin",
			"HOME": "/home/ann lee",
			"ODD":  `50% of $HOME is "quoted" <&>`,
		},
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

func TestSystemdUnitGolden(t *testing.T) {
	unit, err := SystemdUnit(testSpec())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "mcp-gateway-agent.service", unit)
	for _, want := range []string{"Restart=always\n", "RestartSec=2\n", "WantedBy=default.target\n",
		`Environment="HOME=/home/ann lee"`, `Environment="ODD=50%% of $HOME is \"quoted\" <&>"`,
		`ExecStart="/home/ann lee/.mcp-gateway-agent/bin/mcp-gateway-agent" service run --config "/home/ann lee/.mcp-gateway-agent/config.toml"`} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if strings.Contains(unit, "RestartSec=120") {
		t.Error("unit has the library's 120 s restart delay")
	}
}

func TestLaunchdPlistGolden(t *testing.T) {
	plist, err := LaunchdPlist(testSpec())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "mcp-gateway-agent.plist", plist)
	for _, want := range []string{"<key>KeepAlive</key>\n\t<true/>", "<key>RunAtLoad</key>\n\t<true/>",
		"<string>50% of $HOME is &#34;quoted&#34; &lt;&amp;&gt;</string>", "<key>PATH</key>"} {
		if !strings.Contains(plist, want) {
			t.Errorf("plist lacks %q", want)
		}
	}
	if _, err := exec.LookPath("plutil"); err == nil {
		f := filepath.Join(t.TempDir(), "x.plist")
		os.WriteFile(f, []byte(plist), 0o644)
		if out, err := exec.Command("plutil", "-lint", f).CombinedOutput(); err != nil {
			t.Errorf("plutil -lint: %v: %s", err, out)
		}
	}
}

func TestWindowsGolden(t *testing.T) {
	s := testSpec()
	s.Executable = `C:\Users\Ann Lee\AppData\Local\mcp-gateway-agent\bin\mcp-gateway-agent.exe`
	s.ConfigPath = `C:\Users\Ann Lee\.mcp-gateway-agent\config.toml`
	s.Env = map[string]string{"PATH": `C:\Program Files\nodejs;C:\Windows\system32`, "USERPROFILE": `C:\Users\Ann Lee`}
	w := Windows(s)
	golden(t, "windows-service.json", w.String())
	if w.OnFailure != "restart" || w.RestartDelay != "2s" || w.StartType != "automatic" {
		t.Errorf("recovery settings %+v", w)
	}
}

// A path with {{ would be read as a template action by the service library: refused.
func TestTemplateUnsafeRefused(t *testing.T) {
	s := testSpec()
	s.ConfigPath = "/tmp/{{x}}/config.toml"
	if _, err := SystemdUnit(s); err == nil {
		t.Error("systemd: {{ accepted")
	}
	if _, err := LaunchdPlist(s); err == nil {
		t.Error("launchd: {{ accepted")
	}
}

func TestDefaultSpec(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	t.Setenv("PATH", "/opt/node/bin:/usr/bin")
	t.Setenv("MCPGW_AGENT_HOME", "")
	s, err := DefaultSpec("")
	if err != nil {
		t.Fatal(err)
	}
	if s.ConfigPath != filepath.Join(home, ".mcp-gateway-agent", "config.toml") || s.Env["PATH"] != "/opt/node/bin:/usr/bin" || s.WorkDir != home {
		t.Errorf("spec %+v", s)
	}
	if runtime.GOOS != "windows" && s.Env["HOME"] != home {
		t.Errorf("HOME not carried: %+v", s.Env)
	}
	if _, ok := s.Env["MCPGW_AGENT_HOME"]; ok {
		t.Error("an empty MCPGW_AGENT_HOME was carried")
	}
	if !filepath.IsAbs(s.Executable) {
		t.Errorf("executable %q is not absolute", s.Executable)
	}
}

// Install and uninstall for real, where the user's systemd answers. In a container without
// a user bus (the usual CI case) the test says so and the files are covered by the goldens.
func TestInstallForReal(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("real install is exercised on linux only")
	}
	if ok, why := userSystemd(); !ok {
		t.Skipf("%s: no user systemd here; the unit is checked by TestSystemdUnitGolden, TestSystemdAnalyzeVerify and TestLibraryWritesOurUnit", why)
	}
	spec, err := DefaultSpec(filepath.Join(t.TempDir(), "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	spec.Executable, _ = exec.LookPath("sleep")
	m, err := NewManager(spec)
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Install(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Uninstall() })
	if st := m.State(); !st.Installed {
		t.Errorf("after install: %+v", st)
	}
	unit, _ := UnitPath()
	text, _ := os.ReadFile(unit)
	if !strings.Contains(string(text), "RestartSec=2") {
		t.Errorf("installed unit:\n%s", text)
	}
	if err := m.Uninstall(); err != nil {
		t.Fatal(err)
	}
	if st := m.State(); st.Installed {
		t.Errorf("after uninstall: %+v", st)
	}
}

// On a machine without systemd, the manager says so instead of installing something else.
func TestNoSystemdRefused(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		t.Skip("this machine runs systemd")
	}
	_, err := NewManager(testSpec())
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "does not run systemd") {
		t.Errorf("NewManager without systemd: %v", err)
	}
}

func TestRunStopsOnContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- Run(ctx, func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			return nil
		})
	}()
	<-started
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Run after a stop: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
}

func TestRunReportsABodyThatEnds(t *testing.T) {
	boom := errors.New("bad config")
	if err := Run(context.Background(), func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("body error: %v", err)
	}
	if err := Run(context.Background(), func(context.Context) error { return nil }); !errors.Is(err, ErrStoppedByItself) {
		t.Errorf("body that returns nil by itself: %v", err)
	}
}

// systemd itself parses the unit (systemd-analyze verify works without a running systemd).
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	s := testSpec()
	s.Executable, s.WorkDir = sleep, t.TempDir()
	unit, err := SystemdUnit(s)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), Name+".service")
	os.WriteFile(path, []byte(unit), 0o644)
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s\n%s", err, out, unit)
	}
}

// userSystemd reports whether `systemctl --user` can talk to a user manager, and if not why.
func userSystemd() (bool, string) {
	out, err := exec.Command("systemctl", "--user", "show-environment").CombinedOutput()
	if err != nil {
		return false, fmt.Sprintf("systemctl --user show-environment: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return true, "systemctl --user works"
}
