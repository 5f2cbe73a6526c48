// Package logfile is the agent's log file in service mode: a writer that rotates by size
// (agent.log, agent.log.1 … agent.log.N), and the reader behind `logs`: tail and follow.
package logfile

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Defaults of Options.
const (
	DefaultMaxSize = 10 << 20
	DefaultKeep    = 5
)

// Options tune rotation; zero fields take the defaults.
type Options struct {
	MaxSize int64 // rotate before a write would make the file larger than this
	Keep    int   // rotated files kept: path.1 (newest) … path.Keep
}

// Writer appends to a log file and rotates it by size. It is safe for concurrent use.
type Writer struct {
	path string
	opts Options

	mu   sync.Mutex
	f    *os.File
	size int64
}

// Open opens (or creates, mode 0600 in a 0700 directory) the log file for appending.
func Open(path string, opts Options) (*Writer, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	w := &Writer{path: path, opts: opts}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log file: %w", err)
	}
	w.f, w.size = f, st.Size()
	return nil
}

// Write appends p, rotating first when p would take the file past MaxSize. Records are
// never split across files. A failed rotation (on Windows, a reader that holds the file)
// is retried at the next write; meanwhile the file grows.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, os.ErrClosed
	}
	if w.size > 0 && w.size+int64(len(p)) > w.opts.MaxSize {
		_ = w.rotate()
		if w.f == nil {
			if err := w.open(); err != nil {
				return 0, err
			}
		}
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	return n, err
}

// rotate shifts path.i to path.i+1 (dropping the oldest) and path to path.1, then opens a
// fresh path.
func (w *Writer) rotate() error {
	if err := w.f.Close(); err != nil {
		return err
	}
	w.f = nil
	_ = os.Remove(fmt.Sprintf("%s.%d", w.path, w.opts.Keep))
	for i := w.opts.Keep - 1; i >= 1; i-- {
		_ = os.Rename(fmt.Sprintf("%s.%d", w.path, i), fmt.Sprintf("%s.%d", w.path, i+1))
	}
	renameErr := os.Rename(w.path, w.path+".1")
	if err := w.open(); err != nil {
		return err
	}
	return renameErr
}

// Close closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
