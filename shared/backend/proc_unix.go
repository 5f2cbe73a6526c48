//go:build unix

package backend

import (
	"os"
	"os/exec"
	"syscall"
)

// baseEnvKeys are the variables a stdio server inherits from the agent.
func baseEnvKeys() []string { return []string{"PATH", "HOME"} }

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)

// setProcessGroup puts the server in a process group of its own, so that stop can reach
// its children too.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup signals every process of the group led by pid.
func signalGroup(_ *os.Process, pid int, sig syscall.Signal) {
	_ = syscall.Kill(-pid, sig)
}

// groupAlive reports whether any process of the group is left.
func groupAlive(pid int) bool {
	return syscall.Kill(-pid, 0) == nil
}
