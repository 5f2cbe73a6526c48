package audit

import (
	"os"
	"syscall"
)

// canMapSegments: journal segments are memory-mapped on Linux (docs/AUDIT.md, Durability).
const canMapSegments = true

// mapSegment reserves size bytes of disk for f (fallocate: a full disk fails here, not as a
// SIGBUS at a later copy into the mapping) and maps them shared, so that what is copied in
// is in the page cache at once, as after a write(2).
func mapSegment(f *os.File, size int64) ([]byte, error) {
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, size); err != nil {
		f.Truncate(0) // a failed fallocate may have grown the file: writes then start at 0
		return nil, err
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Truncate(0)
		return nil, err
	}
	return m, nil
}

func unmapSegment(m []byte) error { return syscall.Munmap(m) }
