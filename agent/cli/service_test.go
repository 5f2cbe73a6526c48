package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/logfile"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/installer"
	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
)

// eventually polls cond for up to 15 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// `service run` (what the unit starts) runs the agent headless into the rotating log, and
// `service status` reads "connected" from its control socket; `logs` shows the log.
func TestServiceRunStatusAndLogs(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("control socket is a named pipe on windows")
	}
	home := shortTemp(t)
	t.Setenv(config.EnvHome, home)
	h := hubtest.Start(t, nil)
	key := h.EnrollAgent(t, "svc")
	file := filepath.Join(home, "config.toml")
	if _, _, err := run(ctx30(t), "setup", "--config", file, "--hub", h.URL, "--key", key, "--agent-id", "svc"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := run(ctx, "service", "run", "--config", file)
		done <- err
	}()
	var status string
	eventually(t, "service status to say connected", func() bool {
		status, _, _ = run(context.Background(), "service", "status")
		return strings.Contains(status, "Connection: connected")
	})
	if !strings.Contains(status, "Log:        "+filepath.Join(home, "logs", "agent.log")) {
		t.Errorf("status:\n%s", status)
	}
	out, _, err := run(context.Background(), "logs", "-n", "100")
	if err != nil || !strings.Contains(out, "connected to the hub") {
		t.Errorf("logs: %v\n%s", err, out)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("service run after stop: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("service run did not stop")
	}
	status, _, _ = run(context.Background(), "service", "status")
	if !strings.Contains(status, "Connection: unknown") {
		t.Errorf("status after stop:\n%s", status)
	}
}

// A service whose config is broken exits with the error (the service manager restarts it)
// and says why in the log.
func TestServiceRunBadConfig(t *testing.T) {
	home := shortTemp(t)
	t.Setenv(config.EnvHome, home)
	file := filepath.Join(home, "config.toml")
	os.WriteFile(file, []byte("[agent]\nagent_id = \"x\"\n"), 0o600)
	_, stderr, err := run(ctx30(t), "service", "run", "--config", file)
	if err == nil || !strings.Contains(err.Error(), "agent.api_key") {
		t.Fatalf("err = %v", err)
	}
	log, _ := os.ReadFile(filepath.Join(home, "logs", "agent.log"))
	if !strings.Contains(string(log), "the agent stopped; the service manager restarts it") || !strings.Contains(stderr, "agent.api_key") {
		t.Errorf("log:\n%s\nstderr:\n%s", log, stderr)
	}
}

func TestServiceCommandsHere(t *testing.T) {
	home := t.TempDir()
	t.Setenv(config.EnvHome, home)
	file := filepath.Join(home, "config.toml")
	out, _, err := run(context.Background(), "service", "install", "--print", "--config", file)
	if err != nil || !strings.Contains(out, "service run --config "+file) {
		t.Fatalf("install --print: %v\n%s", err, out)
	}
	if runtime.GOOS == "linux" && !strings.Contains(out, "RestartSec=2") {
		t.Errorf("unit:\n%s", out)
	}
	if _, err := os.Stat("/run/systemd/system"); runtime.GOOS == "linux" && err != nil {
		// No systemd here: every command says so instead of doing something else.
		_, _, err := run(context.Background(), "service", "install", "--config", file)
		if !errors.Is(err, installer.ErrUnsupported) {
			t.Errorf("install without systemd: %v", err)
		}
		status, _, _ := run(context.Background(), "service", "status")
		if !strings.Contains(status, "Service:    unavailable") || !strings.Contains(status, "Connection: unknown (no running agent at") {
			t.Errorf("status:\n%s", status)
		}
	}
	if _, _, err := run(context.Background(), "service", "frob"); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown subcommand: %v", err)
	}
}

func TestLogsCommand(t *testing.T) {
	home := t.TempDir()
	t.Setenv(config.EnvHome, home)
	if _, _, err := run(context.Background(), "logs"); err == nil || !strings.Contains(err.Error(), "runs as a service") {
		t.Errorf("no log yet: %v", err)
	}
	path := filepath.Join(home, "logs", "agent.log")
	w, err := logfile.Open(path, logfile.Options{MaxSize: 64, Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, l := range []string{"one", "two", "three", "four"} {
		w.Write([]byte("msg=" + l + " " + strings.Repeat(".", 20) + "\n"))
	}
	out, _, err := run(context.Background(), "logs", "-n", "2")
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(out, "msg=three") || !strings.Contains(out, "msg=four") {
		t.Errorf("logs -n 2: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout syncbuf.Buffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"logs", "-n", "1", "-f"}, &stdout, &bytes.Buffer{}) }()
	eventually(t, "the tail", func() bool { return strings.Contains(stdout.String(), "msg=four") })
	for _, l := range []string{"five", "six", "seven"} { // rotates
		w.Write([]byte("msg=" + l + " " + strings.Repeat(".", 20) + "\n"))
	}
	eventually(t, "followed lines", func() bool { return strings.Contains(stdout.String(), "msg=seven") })
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
	got := stdout.String()
	if strings.Contains(got, "msg=three") || strings.Count(got, "msg=five") != 1 || strings.Count(got, "msg=six") != 1 {
		t.Errorf("logs -f output:\n%s", got)
	}
	if _, _, err := run(context.Background(), "logs", "-n", "-1"); !errors.Is(err, ErrUsage) {
		t.Errorf("-n -1: %v", err)
	}
}
