//go:build !windows

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
)

// The setup wizard in a real terminal (the agent binary in a tmux pane, a real hub): the
// key is read without echo, a refused key is shown as refused and asked again, and the
// config is written 0600.
func TestSetupWizardUnderTmux(t *testing.T) {
	x := startTmux(t)
	h := startHub(t)
	bin := buildAgent(t)
	home := shortTemp(t)
	file := filepath.Join(home, "config.toml")
	win := x.window("setup", []string{config.EnvHome + "=" + home}, bin, "setup", "--config", file)

	x.waitScreen(win, "Hub URL")
	x.keys(win, h.url, "Enter")
	x.waitScreen(win, "Agent key")
	x.keys(win, "mcpgw_not_the_key", "Enter")
	x.waitScreen(win, "Agent id")
	x.keys(win, "laptop", "Enter")
	x.waitScreen(win, "REFUSED: unknown, expired or revoked agent key", "What now?")
	x.keys(win, "e", "Enter")
	x.waitScreen(win, "Hub URL (like https://hub.example.com) ["+h.url+"]")
	x.keys(win, "Enter") // keep the URL
	x.waitScreen(win, "Enter keeps mcpgw_no…")
	x.keys(win, h.agentKey, "Enter")
	x.keys(win, "Enter") // keep the agent id
	x.waitScreen(win, `accepted agent "laptop"`, "Backends: a = add")
	x.keys(win, "a", "Enter", "echo", "Enter", "Enter", "npx -y @modelcontextprotocol/server-everything", "Enter", "Enter")
	x.waitScreen(win, "1. echo", "npx -y @modelcontextprotocol/server-everything")
	x.keys(win, "Enter")
	x.waitScreen(win, "Wrote "+file, "What next?")
	x.keys(win, "n", "Enter")
	screen := x.waitScreen(win, "Start the agent with")
	if st := x.waitExit(win); st != "0" {
		t.Fatalf("setup exited %s:\n%s", st, screen)
	}
	if strings.Contains(screen, h.agentKey) || strings.Contains(screen, "mcpgw_not_the_key") {
		t.Errorf("the key was echoed:\n%s", screen)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config: %v %v", st, err)
	}
	cfg, err := config.ReadFile(file)
	if err != nil || cfg.Agent.APIKey != h.agentKey || len(cfg.Backends) != 1 || cfg.Backends[0].Name != "echo" {
		t.Errorf("config: %+v %v", cfg, err)
	}
}
