//go:build linux

package backend

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// groupMembers lists the processes of process group pgid, from /proc.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// After the parenthesised command name: state, ppid, pgrp.
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 2 && fields[2] == strconv.Itoa(pgid) && fields[0] != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Regression (issue 9): a stdio server killed while a child it started still holds its
// stdout is known dead by its exit, not by the end of stdout. The call in flight fails
// with ErrGone naming the backend, the whole group is ended, and the backend restarts.
func TestStdioLeaderExitWhileChildHoldsStdout(t *testing.T) {
	noLeaks(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	b := start(t, testServerConfig(t, "orphaning", map[string]string{childPIDEnv: pidFile}),
		Options{BackoffBase: 10 * time.Millisecond})
	old := b.sess.Load()
	leader := old.proc.cmd.Process.Pid
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(string(raw))
	if members := groupMembers(t, leader); len(members) != 2 {
		t.Fatalf("group %d has %v, want the server and its child %d", leader, members, child)
	}

	errc := make(chan error, 1)
	go func() {
		_, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "hang", nil, nil)})
		errc <- err
	}()
	waitFor(t, 10*time.Second, "the call in flight", func() bool {
		old.mu.Lock()
		defer old.mu.Unlock()
		return len(old.calls) == 1
	})
	if err := syscall.Kill(leader, syscall.SIGKILL); err != nil { // the leader only
		t.Fatal(err)
	}
	killed := time.Now()
	select {
	case err := <-errc:
		t.Logf("the call failed %s after the kill", time.Since(killed).Round(time.Millisecond))
		if !errors.Is(err, ErrGone) || !strings.Contains(err.Error(), `backend "orphaning" exited during the call`) {
			t.Fatalf("got %v, want ErrGone naming the backend", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the call in flight still hangs after its server was killed")
	}
	waitFor(t, 20*time.Second, "a new session", func() bool {
		s := b.sess.Load()
		return s != nil && s != old
	})
	waitFor(t, 10*time.Second, "the old group gone", func() bool {
		return len(groupMembers(t, leader)) == 0
	})
	t.Logf("restarted and the old group gone %s after the kill", time.Since(killed).Round(time.Millisecond))
	if !gone(child) {
		t.Errorf("child %d survived", child)
	}
	if !b.logs.contains("signal: killed") {
		t.Error("the failure does not say how the server exited")
	}
	resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 2, "echo", map[string]any{"message": "back"}, nil)})
	if got := resultText(t, resp, err); got != "back" {
		t.Errorf("echo after restart: %q", got)
	}
	// The new server's child belongs to the new group, which the test's cleanup ends.
}
