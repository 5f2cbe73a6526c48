//go:build unix

package update

import (
	"fmt"
	"os"
	"syscall"
)

// Reexec replaces the running process with binary, same arguments and environment. It
// returns only on failure.
func Reexec(binary string) error {
	err := syscall.Exec(binary, append([]string{binary}, os.Args[1:]...), os.Environ())
	return fmt.Errorf("restart as %s: %w", binary, err)
}
