//go:build !windows

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	hubauth "github.com/mcp-gateway/mcp-gateway/hub/auth"
	hubconfig "github.com/mcp-gateway/mcp-gateway/hub/config"
	hubserver "github.com/mcp-gateway/mcp-gateway/hub/server"
)

// The real thing, as a person sees it: a real hub, the real agent binary in a tmux pane with
// a stdio MCP server, and `dashboard` in a second pane attached through the control socket.
// Tests may import hub/ (only non-test agent code may not).

// echoServerEnv makes the test binary an MCP server over stdio with one tool, echo.
const echoServerEnv = "MCPGW_TEST_ECHO_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(echoServerEnv) == "1" {
		s := mcp.NewServer(&mcp.Implementation{Name: "echo", Version: "1"}, nil)
		s.AddTool(&mcp.Tool{Name: "echo", Description: "returns its arguments",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}}}`)},
			func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(req.Params.Arguments)}}}, nil
			})
		if err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hub is a real hub in this process that the test can stop.
type hub struct {
	url, ownerKey, agentKey string
	stop                    func()
}

func startHub(t *testing.T) *hub {
	cfg := hubconfig.Default()
	cfg.DataDir, cfg.Listen = t.TempDir(), "127.0.0.1:0"
	cfg.Limits.KeyRate = 0 // the burst below makes 2,000 calls from one key as fast as it can
	ctx, cancel := context.WithCancel(context.Background())
	s, err := hubserver.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_, owner, err := hubauth.CreateOwner(ctx, s.Store, "owner")
	if err != nil {
		t.Fatal(err)
	}
	_, agentKey, err := hubauth.EnrollAgent(ctx, s.Store, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Keys.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	h := &hub{url: "http://" + ln.Addr().String(), ownerKey: owner, agentKey: agentKey}
	stopped := false
	h.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("hub: %v", err)
			}
		}
	}
	t.Cleanup(h.stop)
	return h
}

// tmux runs one tmux server of the test's own.
type tmux struct {
	t      *testing.T
	socket string
	dir    string            // for exit status files
	status map[string]string // window target → its exit status file
}

func startTmux(t *testing.T) *tmux {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install -y tmux); the model tests in tui/ still ran")
	}
	x := &tmux{t: t, socket: fmt.Sprintf("mcpgw-test-%d-%d", os.Getpid(), time.Now().UnixNano()),
		dir: t.TempDir(), status: map[string]string{}}
	conf := filepath.Join(x.dir, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g history-limit 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	x.run("-f", conf, "start-server", ";", "new-session", "-d", "-s", "t", "-x", "160", "-y", "45", "sleep", "3600")
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", x.socket, "kill-server").Run() })
	return x
}

func (x *tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", x.socket}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// window starts argv in a new window and returns its target. A shell around it writes the
// exit status to a file, and keeps the pane open for a moment so that its last screen can be
// read (tmux's own pane_dead flag was seen lagging the exit on a busy machine).
func (x *tmux) window(name string, env []string, argv ...string) string {
	target := "t:" + name
	x.status[target] = filepath.Join(x.dir, name+".status")
	args := []string{"new-window", "-d", "-n", name}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	script := `"$@"; echo $? >'` + x.status[target] + `.tmp'; mv '` + x.status[target] + `.tmp' '` + x.status[target] + `'; sleep 60`
	x.run(append(append(args, "--", "sh", "-c", script, "sh"), argv...)...)
	return target
}

func (x *tmux) keys(target string, keys ...string) {
	x.run(append([]string{"send-keys", "-t", target}, keys...)...)
}

// waitScreen waits until the pane shows every string, and returns the screen.
func (x *tmux) waitScreen(target string, wants ...string) string {
	x.t.Helper()
	var screen string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		screen = x.run("capture-pane", "-p", "-t", target)
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(screen, w)
		}
		if ok {
			return screen
		}
	}
	x.t.Fatalf("pane %s never showed %q; it shows:\n%s", target, wants, screen)
	return ""
}

// waitExit waits for the window's program to end and returns its exit status.
func (x *tmux) waitExit(target string) string {
	x.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(x.status[target]); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	x.t.Fatalf("%s still running:\n%s", target, x.run("capture-pane", "-p", "-t", target))
	return ""
}

func buildAgent(t *testing.T) string {
	out := filepath.Join(t.TempDir(), "mcp-gateway-agent")
	cmd := exec.Command("go", "build", "-o", out, "github.com/mcp-gateway/mcp-gateway/agent/cmd/mcp-gateway-agent")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the agent: %v\n%s", err, b)
	}
	return out
}
