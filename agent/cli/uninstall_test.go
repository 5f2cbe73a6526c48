//go:build !windows

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mcpgateway "github.com/mcp-gateway/mcp-gateway"
	"github.com/mcp-gateway/mcp-gateway/agent/config"
)

// fakeInstall lays out what install.sh leaves in home: the binary, a config and PATH lines
// in startup files that also hold the user's own lines.
func fakeInstall(t *testing.T) (home string) {
	t.Helper()
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv(config.EnvHome, "")
	t.Setenv("ZDOTDIR", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	agentHome := filepath.Join(home, ".mcp-gateway-agent")
	write := func(p, s string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(agentHome, "bin", "mcp-gateway-agent"), "binary", 0o755)
	write(filepath.Join(agentHome, "config.toml"), "[agent]\n", 0o600)
	write(filepath.Join(agentHome, "logs", "agent.log"), "log\n", 0o644)
	line := `case ":$PATH:" in *) ;; esac ` + PathMarker + "\n"
	write(filepath.Join(home, ".profile"), "export EDITOR=vi\n"+line+"umask 022\n", 0o640)
	write(filepath.Join(home, ".zshrc"), line, 0o644)
	write(filepath.Join(home, ".config", "fish", "config.fish"), "set -x A b\n"+line, 0o644)
	return home
}

func TestUninstallRemovesBinaryAndPathLinesKeepsConfig(t *testing.T) {
	home := fakeInstall(t)
	var out bytes.Buffer
	if err := uninstallCmd([]string{"--yes"}, strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("uninstall --yes: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(home, ".mcp-gateway-agent", "bin")); !os.IsNotExist(err) {
		t.Errorf("bin/ is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, ".mcp-gateway-agent", "config.toml")); err != nil {
		t.Errorf("config.toml was removed without --purge: %v", err)
	}
	profile, _ := os.ReadFile(filepath.Join(home, ".profile"))
	if string(profile) != "export EDITOR=vi\numask 022\n" {
		t.Errorf(".profile after uninstall: %q", profile)
	}
	if st, _ := os.Stat(filepath.Join(home, ".profile")); st.Mode().Perm() != 0o640 {
		t.Errorf(".profile mode changed to %o", st.Mode().Perm())
	}
	for _, f := range []string{".zshrc", ".config/fish/config.fish"} {
		if b, _ := os.ReadFile(filepath.Join(home, f)); bytes.Contains(b, []byte(PathMarker)) {
			t.Errorf("%s still has the PATH line", f)
		}
	}
	if !strings.Contains(out.String(), "It keeps the configuration") {
		t.Errorf("output does not say the config is kept:\n%s", out.String())
	}
}

func TestUninstallAsksFirst(t *testing.T) {
	home := fakeInstall(t)
	for _, answer := range []string{"", "n\n", "nope\n"} {
		var out bytes.Buffer
		err := uninstallCmd(nil, strings.NewReader(answer), &out, &out)
		if err == nil || !strings.Contains(err.Error(), "--yes") {
			t.Fatalf("answer %q: err = %v", answer, err)
		}
		if _, err := os.Stat(filepath.Join(home, ".mcp-gateway-agent", "bin", "mcp-gateway-agent")); err != nil {
			t.Fatalf("answer %q removed the binary: %v", answer, err)
		}
	}
	var out bytes.Buffer
	if err := uninstallCmd(nil, strings.NewReader("y\n"), &out, &out); err != nil {
		t.Fatalf("answer y: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(home, ".mcp-gateway-agent", "bin")); !os.IsNotExist(err) {
		t.Errorf("answer y left bin/: %v", err)
	}
}

func TestUninstallPurge(t *testing.T) {
	home := fakeInstall(t)
	// A running agent leaves its control socket's lock file next to it.
	if err := os.WriteFile(filepath.Join(home, ".mcp-gateway-agent", "agent.sock.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := uninstallCmd([]string{"--yes", "--purge"}, nil, &out, &out); err != nil {
		t.Fatalf("uninstall --yes --purge: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(home, ".mcp-gateway-agent")); !os.IsNotExist(err) {
		t.Errorf("--purge left the agent's home: %v", err)
	}
}

// A home pointed at a shared folder keeps the files the agent did not put there.
func TestUninstallPurgeKeepsForeignFiles(t *testing.T) {
	home := fakeInstall(t)
	shared := filepath.Join(home, "work")
	os.MkdirAll(filepath.Join(shared, "bin"), 0o755)
	os.WriteFile(filepath.Join(shared, "config.toml"), []byte("[agent]\n"), 0o600)
	os.WriteFile(filepath.Join(shared, "notes.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(shared, "bin", "mcp-gateway-agent"), []byte("binary"), 0o755)
	os.WriteFile(filepath.Join(shared, "bin", "jq"), []byte("not ours"), 0o755)
	t.Setenv(config.EnvHome, shared)
	var out bytes.Buffer
	if err := uninstallCmd([]string{"--yes", "--purge"}, nil, &out, &out); err != nil {
		t.Fatalf("uninstall: %v\n%s", err, out.String())
	}
	for _, gone := range []string{"config.toml", "bin/mcp-gateway-agent"} {
		if _, err := os.Stat(filepath.Join(shared, gone)); !os.IsNotExist(err) {
			t.Errorf("%s was kept: %v", gone, err)
		}
	}
	for _, kept := range []string{"notes.txt", "bin/jq"} {
		if _, err := os.Stat(filepath.Join(shared, kept)); err != nil {
			t.Errorf("%s, not the agent's, was removed: %v", kept, err)
		}
	}
	// install.sh's own ~/.mcp-gateway-agent/bin is removed too.
	if _, err := os.Stat(filepath.Join(home, ".mcp-gateway-agent", "bin")); !os.IsNotExist(err) {
		t.Errorf("~/.mcp-gateway-agent/bin was kept: %v", err)
	}
	if !strings.Contains(out.String(), "notes.txt") {
		t.Errorf("the output does not name the kept files:\n%s", out.String())
	}
}

// The marker is the contract with install.sh: the same string, on the line install.sh adds.
func TestPathMarkerMatchesInstallSh(t *testing.T) {
	sh, _ := mcpgateway.InstallScript("install.sh")
	if !strings.Contains(sh, "mcpgw_mark='"+PathMarker+"'") {
		t.Fatalf("install.sh does not mark its PATH lines with %q", PathMarker)
	}
}

func TestDropMarkedLines(t *testing.T) {
	in := "a\nPATH=x " + PathMarker + "\nb\n" + PathMarker + "\nc"
	if got := string(dropMarkedLines([]byte(in))); got != "a\nb\nc" {
		t.Fatalf("got %q", got)
	}
}
