package cli

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/control"
	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// `setup` checks the key with a handshake under the agent's id, and the hub gives that id to
// the newest connection: an agent already running (a service) was displaced and, refused as
// "replaced", waited 30 s before trying again. setup now asks it, through its control
// socket, to reconnect at once.
func TestSetupReconnectsTheRunningAgent(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no control socket on windows")
	}
	home := shortTemp(t)
	t.Setenv(config.EnvHome, home)
	h := hubtest.Start(t, nil)
	key := h.EnrollAgent(t, "svc")
	file := filepath.Join(home, "config.toml")
	setupArgs := []string{"setup", "--config", file, "--hub", h.URL, "--key", key, "--agent-id", "svc"}
	if _, _, err := run(ctx30(t), setupArgs...); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := run(ctx, "service", "run", "--config", file)
		done <- err
	}()
	defer func() { cancel(); <-done }()
	c := &control.Client{Path: filepath.Join(home, config.SocketFileName)}
	var before status.Snapshot
	eventually(t, "the agent to connect", func() bool {
		s, err := c.Snapshot(context.Background())
		before = s
		return err == nil && s.State == status.StateConnected
	})

	began := time.Now()
	if _, _, err := run(ctx30(t), setupArgs...); err != nil {
		t.Fatal(err)
	}
	// Well under the 30 s a replaced agent waits on its own.
	for deadline := began.Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		s, err := c.Snapshot(context.Background())
		if err == nil && s.State == status.StateConnected && s.Since.After(before.Since) && s.Since.After(began) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the running agent is not connected again 10 s after setup: %s %s (retry in %s)", s.State, s.Refusal, s.RetryIn)
		}
	}
}
