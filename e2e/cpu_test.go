package e2e

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on Linux).
const clockTick = 10 * time.Millisecond

// processCPU returns the user + system CPU time this process has used, read from
// /proc/self/stat; ok is false where there is no /proc.
func processCPU() (time.Duration, bool) {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// Fields follow the parenthesised command name; utime and stime are fields 14 and 15.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}

// reportCPUPerCall adds the metric cpu-ns/op: the test process's CPU time (all goroutines,
// GC included) since start, divided by the b.N calls. Call it after the loop.
func reportCPUPerCall(b *testing.B, start time.Duration) {
	end, ok := processCPU()
	if !ok || b.N == 0 {
		return
	}
	b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
}
