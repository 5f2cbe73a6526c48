package backend

import (
	"bytes"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// procStat is what the supervisor reads of a process in /proc/<pid>/stat.
type procStat struct {
	pid, ppid, pgrp int
	zombie          bool
}

// processes lists every process /proc shows.
func processes() []procStat {
	dir, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil
	}
	var out []procStat
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// After the parenthesised command name: state, ppid, pgrp.
		fields := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
		if len(fields) < 3 {
			continue
		}
		ppid, _ := strconv.Atoi(string(fields[1]))
		pgrp, _ := strconv.Atoi(string(fields[2]))
		out = append(out, procStat{pid: pid, ppid: ppid, pgrp: pgrp, zombie: string(fields[0]) == "Z"})
	}
	return out
}

// onlyZombies reports whether every process of group pgid has exited and waits to be
// reaped, as /proc shows it.
func onlyZombies(pgid int) bool {
	for _, p := range processes() {
		if p.pgrp == pgid && !p.zombie {
			return false
		}
	}
	return true
}

var subreaperOnce sync.Once

// becomeSubreaper makes this process the child subreaper of its descendants
// (PR_SET_CHILD_SUBREAPER): a server's child that outlives its parent, even one that left
// the process group with setsid, is re-parented to us instead of to init, so that stop can
// find it, kill it and reap it. Failure (an old kernel) only costs that reaping.
func becomeSubreaper() {
	subreaperOnce.Do(func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) })
}

// marked lists the live processes whose environment holds the entry mark (NAME=token):
// the server and every descendant that kept the environment it inherited, wherever it
// moved (another process group or session, another parent).
func marked(mark string) []int {
	want := []byte(mark)
	var out []int
	for _, p := range processes() {
		if p.zombie {
			continue
		}
		env, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/environ")
		if err != nil {
			continue
		}
		for entry := range bytes.SplitSeq(env, []byte{0}) {
			if bytes.Equal(entry, want) {
				out = append(out, p.pid)
				break
			}
		}
	}
	return out
}

// adoptedZombies lists the exited children of this process that belonged to process group
// pgid, apart from exclude (the leader, which exec reaps).
func adoptedZombies(pgid, exclude int) []int {
	self := os.Getpid()
	var out []int
	for _, p := range processes() {
		if p.zombie && p.ppid == self && p.pgrp == pgid && p.pid != exclude {
			out = append(out, p.pid)
		}
	}
	return out
}

// childOf reports whether pid's parent is this process.
func childOf(pid int) bool {
	for _, p := range processes() {
		if p.pid == pid {
			return p.ppid == os.Getpid()
		}
	}
	return false
}
