//go:build unix

package agents_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/cli"
	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// agentCLIEnv makes the test binary act as mcp-gateway-agent, so that tests can run (and
// kill) a real agent process.
const agentCLIEnv = "MCPGW_TEST_AS_AGENT_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(agentCLIEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "mcp-gateway-agent:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// agentProcess starts `mcp-gateway-agent run --headless --config FILE` as a child process.
func agentProcess(t *testing.T, url string) (*exec.Cmd, *logBuf) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "config.toml")
	toml := fmt.Sprintf(`[agent]
agent_id = "laptop"
gateway_url = %q
api_key = %q
log_level = "debug"

[[backends]]
name = "everything"
transport = "stdio"
command = %q
args = ["stdio"]
`, url, laptopKey, everything(t))
	if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &logBuf{}
	cmd := exec.Command(os.Args[0], "run", "--headless", "--config", file)
	cmd.Env = append(os.Environ(), agentCLIEnv+"=1")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, out
}

// A killed agent process: the call in flight fails at once with ErrAgentGone naming the
// agent, and the agent is reported gone.
func TestAgentKilledFailsCallInFlight(t *testing.T) {
	h := startHub(t, "")
	cmd, out := agentProcess(t, h.url())
	h.waitReady(t, "laptop")
	backends := childPIDs(t, cmd.Process.Pid, "mcp-server-everything")
	t.Cleanup(func() {
		for _, pid := range backends { // orphaned by the kill; its stdin closes, but be sure
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	sink := newSink()
	errc := make(chan error, 1)
	go func() {
		_, err := h.reg.Call(context.Background(), "laptop", "everything",
			&backend.Call{Request: toolCall(t, 1, "trigger-long-running-operation", map[string]any{"duration": 30, "steps": 300}, "p"), Sink: sink})
		errc <- err
	}()
	select {
	case <-sink.notes:
	case <-time.After(10 * time.Second):
		t.Fatalf("no progress from the call; agent output:\n%s", out)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	select {
	case err := <-errc:
		if !errors.Is(err, agents.ErrAgentGone) || !strings.Contains(err.Error(), `agent "laptop"`) {
			t.Fatalf("err = %v, want ErrAgentGone naming the agent", err)
		}
		t.Logf("call failed %s after the kill: %v", time.Since(killed).Round(time.Millisecond), err)
	case <-time.After(5 * time.Second): // keepalive would take 60 s; this is the socket closing
		t.Fatal("call still waiting 5 s after the agent was killed")
	}
	h.waitChange(t, "laptop", func(c change) bool { return !c.connected && c.backends == nil })
	if len(h.reg.List()) != 0 {
		t.Error("killed agent still listed")
	}
}

// SIGTERM shuts the agent down cleanly: exit status 0, backend process stopped, hub told.
func TestAgentProcessStopsOnSIGTERM(t *testing.T) {
	h := startHub(t, "")
	cmd, out := agentProcess(t, h.url())
	h.waitReady(t, "laptop")
	backends := childPIDs(t, cmd.Process.Pid, "mcp-server-everything")
	if len(backends) != 1 {
		t.Fatalf("backend processes: %v", backends)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("agent exited with %v; output:\n%s", err, out)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("agent still running 15 s after SIGTERM; output:\n%s", out)
	}
	if err := syscall.Kill(backends[0], 0); err == nil {
		t.Errorf("backend process %d survived the agent", backends[0])
	}
	h.waitChange(t, "laptop", func(c change) bool { return !c.connected })
	for _, want := range []string{"msg=starting", "msg=\"shutting down\""} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("agent output lacks %q:\n%s", want, out)
		}
	}
}
