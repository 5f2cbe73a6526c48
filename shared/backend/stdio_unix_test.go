//go:build unix

package backend

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// gone reports whether pid has exited (a zombie nobody reaped counts as gone).
func gone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// A crash mid-call fails the call at once with ErrGone, and the supervisor brings the
// server back.
func TestStdioCrashRestarts(t *testing.T) {
	srv := needNode(t)
	b := start(t, Config{Name: "crashy", Transport: TransportStdio, Command: "node",
		Args: []string{srv.everything}}, Options{BackoffBase: 10 * time.Millisecond})
	pid := b.sess.Load().proc.cmd.Process.Pid

	sink := newSink(nil)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "trigger-long-running-operation",
			map[string]any{"duration": 10, "steps": 20}, map[string]any{"progressToken": 1}), Sink: sink})
		errc <- err
	}()
	<-sink.notes // running
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	err := <-errc
	if !errors.Is(err, ErrGone) || !strings.Contains(err.Error(), `backend "crashy" exited during the call`) {
		t.Fatalf("got %v, want ErrGone naming the backend", err)
	}
	if d := time.Since(killed); d > time.Second {
		t.Errorf("the call failed %s after the crash", d)
	}
	waitFor(t, 5*time.Second, "state failed", func() bool {
		for {
			select {
			case st := <-b.states:
				if st == "failed" {
					return true
				}
			default:
				return false
			}
		}
	})
	b.waitReady(t)
	if p := b.sess.Load().proc.cmd.Process.Pid; p == pid {
		t.Fatal("ready again, but with the killed process")
	}
	// The restart is counted, dated and explained, and the cause stays once ready again.
	if snap := b.Snapshot(); snap.Restarts != 1 || snap.LastRestart < killed.UnixMilli()-1000 ||
		!strings.Contains(snap.LastError, "server exited") || snap.Error != "" {
		t.Errorf("after one crash: restarts %d, lastRestart %d (killed at %d), lastError %q, error %q; want 1, the crash's time and cause, and no current error",
			snap.Restarts, snap.LastRestart, killed.UnixMilli(), snap.LastError, snap.Error)
	}
	resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "echo", map[string]any{"message": "back"}, nil)})
	if got := resultText(t, resp, err); !strings.Contains(got, "back") {
		t.Errorf("echo after restart: %q", got)
	}
}

// Stopping kills the whole process group: a child that ignores SIGTERM (as a wrapper's
// child may) is killed too, which mcp.CommandTransport alone would leave running.
func TestStdioStopKillsProcessGroup(t *testing.T) {
	srv := needNode(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	cfg := Config{Name: "group", Transport: TransportStdio, Command: "sh",
		Args: []string{"-c", `(trap "" TERM; exec sleep 300) & echo $! > "$PIDFILE"; exec node "$SERVER" stdio`},
		Env:  map[string]string{"PIDFILE": pidFile, "SERVER": srv.everything}}
	b := New(cfg, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer cancel()
	waitFor(t, 20*time.Second, "ready", func() bool { return b.Snapshot().State == "ready" })
	leader := b.sess.Load().proc.cmd.Process.Pid
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || gone(child) {
		t.Fatalf("child %q not running: %v", raw, err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if b.Snapshot().State != "stopped" {
		t.Errorf("state %s, want stopped", b.Snapshot().State)
	}
	// SIGKILL has been sent when Run returns; give the kernel a moment to carry it out.
	deadline := time.Now().Add(time.Second)
	for (!gone(leader) || !gone(child)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !gone(leader) || !gone(child) {
		_ = syscall.Kill(child, syscall.SIGKILL)
		t.Fatalf("survivors: leader %d gone=%v, child %d gone=%v", leader, gone(leader), child, gone(child))
	}
}

// A server that dies at start is failed with its exit status and last stderr line, and the
// supervisor keeps trying.
func TestStdioStartFailure(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want []string
	}{
		{Config{Name: "dies", Transport: TransportStdio, Command: "sh", Args: []string{"-c", "echo boom >&2; exit 3"}},
			[]string{"exit status 3", "last stderr line: boom"}},
		{Config{Name: "missing", Transport: TransportStdio, Command: "/nonexistent/mcp-server"},
			[]string{"start /nonexistent/mcp-server", "no such file"}},
	} {
		var attempts atomic.Int32
		b := New(c.cfg, Options{BackoffBase: 5 * time.Millisecond, BackoffCap: 10 * time.Millisecond,
			OnChange: func(snap protocol.Backend) {
				if snap.State == protocol.StateFailed {
					attempts.Add(1)
				}
			}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx) }()
		waitFor(t, 10*time.Second, "three failed attempts", func() bool { return attempts.Load() >= 3 })
		snap := b.Snapshot()
		for _, w := range c.want {
			if !strings.Contains(snap.Error, w) {
				t.Errorf("%s: error %q lacks %q", c.cfg.Name, snap.Error, w)
			}
		}
		cancel()
		<-done
	}
}
