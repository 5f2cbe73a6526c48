//go:build !windows

package server

import "syscall"

// fdLimit is the process's open-file limit (Go raises the soft limit to the hard one at
// start on Linux and macOS); 0 when unknown.
func fdLimit() uint64 {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) != nil {
		return 0
	}
	return r.Cur
}
