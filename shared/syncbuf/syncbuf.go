// Package syncbuf has a bytes.Buffer that one goroutine may write (a logger, a process's
// output) while another reads it or waits for what it expects: tests watch logs and output
// with it.
package syncbuf

import (
	"bytes"
	"sync"
	"time"
)

// Buffer is a bytes.Buffer behind a mutex. The zero value is ready to use.
type Buffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed at the next Write; made by a waiter
}

// Write appends p and wakes the waiters.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return n, err
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Wait waits until cond holds for what was written so far, checking after each write, and
// reports whether it did before timeout.
func (s *Buffer) Wait(timeout time.Duration, cond func(written string) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if cond(s.b.String()) {
			s.mu.Unlock()
			return true
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return cond(s.String())
		}
	}
}
