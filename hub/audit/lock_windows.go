package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir opens dir/lock without sharing, held until the returned file is closed or the
// process dies, so that two hubs never share one journal.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "lock")
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, fmt.Errorf("audit: lock journal: %w", err)
	}
	h, err := syscall.CreateFile(p, syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil,
		syscall.OPEN_ALWAYS, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		const errorSharingViolation syscall.Errno = 32
		if errors.Is(err, errorSharingViolation) {
			return nil, fmt.Errorf("%w: %s", ErrJournalInUse, dir)
		}
		return nil, fmt.Errorf("audit: lock journal %s: %w", path, err)
	}
	return os.NewFile(uintptr(h), path), nil
}
