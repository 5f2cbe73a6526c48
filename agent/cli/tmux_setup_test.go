//go:build !windows

package cli

import (
	"net"
	"os"
	"os/exec"
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

// The binary's non-interactive setup, as install.sh --enroll runs it (stdin closed): exit
// status 0 and the config on success; 1 with "refused" or "unreachable" on stderr otherwise.
func TestSetupBinaryNonInteractive(t *testing.T) {
	h := startHub(t)
	bin := buildAgent(t)
	home := shortTemp(t)
	file := filepath.Join(home, "config.toml")
	run := func(args ...string) (string, int) {
		cmd := exec.Command(bin, append([]string{"setup", "--config", file}, args...)...)
		cmd.Env = append(os.Environ(), config.EnvHome+"="+home, config.EnvAPIKey+"=")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	if out, code := run("--hub", h.url, "--key", "mcpgw_wrong"); code != 1 || !strings.Contains(out, "the hub refused the agent: unknown, expired or revoked agent key") {
		t.Errorf("refused: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Error("a refused setup wrote the config")
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	if out, code := run("--hub", dead, "--key", h.agentKey); code != 1 || !strings.Contains(out, "the hub is unreachable at ws://") {
		t.Errorf("unreachable: exit %d\n%s", code, out)
	}
	if out, code := run("--hub", h.url, "--key", h.agentKey, "--agent-id", "laptop"); code != 0 || !strings.Contains(out, `accepted agent "laptop"`) {
		t.Fatalf("good key: exit %d\n%s", code, out)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("config: %v %v", st, err)
	}
}
