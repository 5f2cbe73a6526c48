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
	check("DefaultPath", DefaultPath, filepath.Join(base, "config.toml"))
	check("LogPath", LogPath, filepath.Join(base, "logs", "agent.log"))
	check("SocketPath", SocketPath, filepath.Join(base, "agent.sock"))
	check("BinDir", BinDir, filepath.Join(base, "bin"))
	check("StatePath", StatePath, filepath.Join(base, "update-state.json"))

	other := t.TempDir()
	t.Setenv(EnvHome, other)
	check("Home with "+EnvHome, Home, other)
	check("ConfigPath with "+EnvHome, ConfigPath, filepath.Join(other, "config.toml"))
}
