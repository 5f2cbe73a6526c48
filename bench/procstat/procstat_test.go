package procstat

import (
	"os"
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
