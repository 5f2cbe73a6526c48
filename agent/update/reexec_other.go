//go:build !unix

package update

import "errors"

// Reexec is not possible here: the caller exits with ExitRestart and the service manager
// (a Windows service set to restart on failure) starts the binary again.
func Reexec(string) error {
	return errors.New("re-exec is not supported on this system; exit and let the service manager restart the agent")
}
