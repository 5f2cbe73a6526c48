//go:build !unix

package backend

import (
	"os"
	"os/exec"
	"syscall"
)

// baseEnvKeys are the variables a stdio server inherits from the agent. Windows cannot
// start most programs without the system ones.
func baseEnvKeys() []string {
	return append([]string{"PATH", "HOME", "USERPROFILE", "SYSTEMROOT", "COMSPEC", "PATHEXT",
		"TEMP", "TMP", "APPDATA", "LOCALAPPDATA", "PROGRAMFILES", "WINDIR"}, NetworkEnv...)
}

const (
	sigTerm = syscall.Signal(15)
	sigKill = syscall.Signal(9)
)

// setProcessGroup does nothing here. Known limitation: without a job object, children of
// the server (npx → node) may outlive it on Windows.
func setProcessGroup(*exec.Cmd) {}

// signalGroup kills the leader: Windows has no SIGTERM for console programs.
func signalGroup(p *os.Process, _ int, _ syscall.Signal) {
	_ = p.Kill()
}

// groupAlive cannot see children here; stop relies on the leader's exit.
func groupAlive(int) bool { return false }

// becomeSubreaper does nothing on Windows (see setProcessGroup).
func becomeSubreaper() {}

func marked(string) []int { return nil }

func adoptedZombies(int, int) []int { return nil }

func childOf(int) bool { return false }
