package config

import (
	"path/filepath"
	"testing"
)

func TestPaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	t.Setenv(EnvHome, "")
	base := filepath.Join(home, ".mcp-gateway-agent")
	check := func(name string, f func() (string, error), want string) {
		t.Helper()
		got, err := f()
		if err != nil || got != want {
			t.Errorf("%s() = %q, %v; want %q", name, got, err, want)
		}
	}
	check("Home", Home, base)
	check("ConfigPath", ConfigPath, filepath.Join(base, "config.toml"))
	check("LogPath", LogPath, filepath.Join(base, "logs", "agent.log"))
	check("SocketPath", SocketPath, filepath.Join(base, "agent.sock"))
	check("BinDir", BinDir, filepath.Join(base, "bin"))
	check("StatePath", StatePath, filepath.Join(base, "update-state.json"))

	other := t.TempDir()
	t.Setenv(EnvHome, other)
	check("Home with "+EnvHome, Home, other)
	check("ConfigPath with "+EnvHome, ConfigPath, filepath.Join(other, "config.toml"))
}

// The Windows bin dir is where install.ps1 puts the binary.
func TestBinDirPerOS(t *testing.T) {
	t.Setenv(EnvHome, "")
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	got, err := binDir("windows", env(map[string]string{"LOCALAPPDATA": `C:\Users\me\AppData\Local`}))
	if err != nil || got != filepath.Join(`C:\Users\me\AppData\Local`, "mcp-gateway-agent", "bin") {
		t.Errorf("windows: %q, %v", got, err)
	}
	home, _ := Home()
	if got, _ := binDir("linux", env(map[string]string{"LOCALAPPDATA": "x"})); got != filepath.Join(home, "bin") {
		t.Errorf("linux: %q", got)
	}
	if got, _ := binDir("windows", env(map[string]string{"LOCALAPPDATA": "x", EnvHome: "/h"})); got != filepath.Join(home, "bin") {
		t.Errorf("windows with MCPGW_AGENT_HOME: %q", got)
	}
}
