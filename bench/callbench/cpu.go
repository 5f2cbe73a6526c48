package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuTime returns the CPU time (user + system, all threads) a process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return time.Duration(u+st) * clockTick, nil
}

// cpuMeter sums the CPU time of a set of processes between start and stop.
type cpuMeter struct {
	pids  []int
	begin []time.Duration
}

func (m *cpuMeter) start() error {
	m.begin = m.begin[:0]
	for _, pid := range m.pids {
		t, err := cpuTime(pid)
		if err != nil {
			return err
		}
		m.begin = append(m.begin, t)
	}
	return nil
}

// stop returns the CPU time used by each process since start.
func (m *cpuMeter) stop() ([]time.Duration, error) {
	used := make([]time.Duration, len(m.pids))
	for i, pid := range m.pids {
		t, err := cpuTime(pid)
		if err != nil {
			return nil, err
		}
		used[i] = t - m.begin[i]
	}
	return used, nil
}
