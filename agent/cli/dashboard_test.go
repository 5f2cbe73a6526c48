//go:build !windows

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/status"
)

// A running agent serves its control socket (0600); dashboard reads it without a second
// tunnel; a second agent on the same home cannot take the socket over (it runs without one);
// without an agent, dashboard says so.
func TestDashboardAttachesToRunningAgent(t *testing.T) {
	home := shortTemp(t)
	t.Setenv(config.EnvHome, home)
	file := filepath.Join(home, "config.toml")
	cfg := "[agent]\nagent_id = \"laptop\"\ngateway_url = \"ws://127.0.0.1:1/agent/ws\"\napi_key = \"mcpgw_k\"\n"
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(context.Background(), "dashboard", "--json"); err == nil || !strings.Contains(err.Error(), "no running agent at "+filepath.Join(home, "agent.sock")) {
		t.Fatalf("dashboard without an agent: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, _, err := run(ctx, "run", "--config", file); done <- err }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	sock := filepath.Join(home, "agent.sock")
	var snap status.Snapshot
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, _, err := run(context.Background(), "dashboard", "--json")
		if err == nil {
			if err := json.Unmarshal([]byte(out), &snap); err != nil {
				t.Fatalf("dashboard --json: %v\n%s", err, out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent never served %s: %v", sock, err)
		}
	}
	if snap.AgentID != "laptop" || snap.HubURL != "ws://127.0.0.1:1/agent/ws" || snap.State == "" {
		t.Fatalf("snapshot = %+v", snap)
	}
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v %v, want a socket with mode 0600", fi.Mode(), err)
	}
	second, stop := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer stop()
	if _, stderr, err := run(second, "run", "--config", file, "--agent-id", "other"); err != nil || !strings.Contains(stderr, "another agent is running with the same home") {
		t.Fatalf("a second agent on the same home: %v\n%s", err, stderr)
	}
	if out, _, err := run(context.Background(), "dashboard", "--json"); err != nil || !strings.Contains(out, `"agentId": "laptop"`) {
		t.Fatalf("the first agent lost its socket to the second: %v\n%s", err, out)
	}
	if _, _, err := run(context.Background(), "dashboard"); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "not a terminal") {
		t.Fatalf("dashboard without a terminal: %v", err)
	}
}

// After the setup wizard (whose handshake under the same id makes the hub replace the
// running agent), a displaced agent reconnects at once; a connected one is left alone.
func TestReconnectAfterSetup(t *testing.T) {
	tr := status.New(status.Options{})
	reconnects := 0
	setup := reconnectAfter(func(io.Reader, io.Writer, io.Writer) error { return nil }, tr, func() { reconnects++ })
	tr.Connected("h")
	_ = setup(nil, nil, nil)
	if reconnects != 0 {
		t.Fatal("a connected agent was reconnected")
	}
	tr.Disconnected("replaced", "another agent with the same id took over: setup check", 30*time.Second)
	_ = setup(nil, nil, nil)
	if reconnects != 1 {
		t.Fatal("a displaced agent was not reconnected")
	}
}
