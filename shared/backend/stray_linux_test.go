//go:build linux

package backend

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// strays counts the live processes whose command line is exactly argv, and the exited ones
// that are this process's children and wait to be reaped (zombies lose their command line,
// so those are counted by name).
func strays(t *testing.T, argv []string, name string) (live, zombies int) {
	t.Helper()
	want := []byte(strings0(argv))
	self := os.Getpid()
	for _, p := range processes() {
		if p.zombie {
			stat, _ := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/stat")
			if p.ppid == self && bytes.Contains(stat, []byte("("+name+")")) {
				zombies++
			}
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/cmdline")
		if err == nil && bytes.Equal(cmdline, want) {
			live++
		}
	}
	return live, zombies
}

func strings0(argv []string) string {
	var b bytes.Buffer
	for _, a := range argv {
		b.WriteString(a)
		b.WriteByte(0)
	}
	return b.String()
}

// Regression (issue 10 item 18): a server that starts a child with setsid (a new session
// and process group) and exits left that child running at every restart: one stray process
// per restart, for ever. The supervisor now marks the server's environment, is the child
// subreaper of what it starts, and kills and reaps marked descendants at each stop.
func TestSetsidChildDoesNotLeak(t *testing.T) {
	for _, tool := range []string{"setsid", "sleep", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	// A duration no other process on the machine uses, to count ours by command line.
	secs := fmt.Sprintf("%d.%d", 4000+os.Getpid()%1000, time.Now().UnixNano()%1000000)
	argv := []string{"sleep", secs}
	script := "setsid sleep " + secs + " </dev/null >/dev/null 2>&1 & exit 3"
	logs := &logBuffer{}
	b := New(Config{Name: "daemonizing", Transport: TransportStdio, Command: "sh", Args: []string{"-c", script}},
		Options{Logger: logs.logger(), BackoffBase: 10 * time.Millisecond, BackoffCap: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			t.Logf("logs:\n%s", logs.buf.String())
		}
	})

	const restarts = 5
	waitFor(t, 60*time.Second, fmt.Sprintf("%d restarts", restarts), func() bool {
		return logs.count("backend failed; restarting") >= restarts
	})
	// A server is started only once the one before it was stopped: at most the current
	// server's child is alive.
	if live, zombies := strays(t, argv, "sleep"); live > 1 || zombies > 0 {
		t.Errorf("after %d restarts: %d children alive, %d zombies; want at most 1 and 0", restarts, live, zombies)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if live, zombies := strays(t, argv, "sleep"); live != 0 || zombies != 0 {
		t.Errorf("after stop: %d children alive, %d zombies; want none", live, zombies)
	}
}
