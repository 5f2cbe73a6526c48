// Package procstat reads what the benchmarks measure of a process from /proc (Linux): the CPU
// time it has used, and its children.
package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// CPUTime returns the CPU time (user + system, all threads) process pid has used so far.
func CPUTime(pid int) (time.Duration, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return time.Duration(u+st) * clockTick, nil
}

// Children returns the processes whose parent is pid, with each one's command line (its
// arguments joined by spaces).
func Children(pid int) (map[int]string, error) {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	kids := map[int]string{}
	for _, d := range dirs {
		child, err := strconv.Atoi(d.Name())
		if err != nil {
			continue // not a process
		}
		f, err := statFields(child)
		if err != nil || f[1] != strconv.Itoa(pid) { // field 4: the parent's pid
			continue // gone meanwhile, or someone else's
		}
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", child))
		kids[child] = strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
	}
	return kids, nil
}

// statFields returns the fields of /proc/PID/stat from field 3 (state) on.
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	return f, nil
}
