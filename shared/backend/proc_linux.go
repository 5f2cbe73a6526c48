package backend

import (
	"bytes"
	"os"
	"strconv"
)

// onlyZombies reports whether every process of group pgid has exited and waits to be
// reaped, as /proc shows it.
func onlyZombies(pgid int) bool {
	dir, err := os.Open("/proc")
	if err != nil {
		return false
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return false
	}
	want := []byte(strconv.Itoa(pgid))
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		stat, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// After the parenthesised command name: state, ppid, pgrp.
		fields := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
		if len(fields) > 2 && bytes.Equal(fields[2], want) && string(fields[0]) != "Z" {
			return false
		}
	}
	return true
}
