package procstat

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

func TestCPUTimeGrows(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/PID/stat is Linux's")
	}
	a, err := CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1e8; i++ { // spend some CPU
		_ = i * i
	}
	b, err := CPUTime(os.Getpid())
	if err != nil || b < a {
		t.Fatalf("CPU time %v then %v, %v", a, b, err)
	}
	if _, err := CPUTime(-1); err == nil {
		t.Error("no error for a process that does not exist")
	}
}

// TestChildren: a process this test starts is among its children, with its command line;
// the test's own parent is not.
func TestChildren(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	kids, err := Children(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got := kids[cmd.Process.Pid]; got != "sleep 60" {
		t.Errorf("child %d: command line %q, want \"sleep 60\" (children: %v)", cmd.Process.Pid, got, kids)
	}
	if _, ok := kids[os.Getppid()]; ok {
		t.Error("the test's parent is listed among its children")
	}
}
