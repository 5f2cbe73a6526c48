//go:build unix

package backend

import (
	"os"
	"os/exec"
	"syscall"
)

// baseEnvKeys are the variables a stdio server inherits from the agent.
func baseEnvKeys() []string { return append([]string{"PATH", "HOME"}, NetworkEnv...) }

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

// groupAlive reports whether any process of the group is left. Zombies do not count: a
// child orphaned by the leader waits to be reaped by PID 1, which in a container may be slow
// or never happen, and stop would wait out its whole grace for nothing.
func groupAlive(pid int) bool {
	return syscall.Kill(-pid, 0) == nil && !onlyZombies(pid)
}
