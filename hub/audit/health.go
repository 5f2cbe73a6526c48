package audit

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrJournal: the journal cannot be written (disk full, I/O error). With on_failure
// "refuse" (the default) Admit returns it and the gateway refuses calls before they reach a
// backend, until a probe finds the journal writable again.
var ErrJournal = errors.New("audit: journal cannot be written")

// ErrUnaudited wraps a Record error in on_failure "allow" mode: the event is lost, and the
// caller may still return the call's result (the operator chose availability over the trail).
var ErrUnaudited = errors.New("audit: event not recorded (on_failure = \"allow\")")

// reserveName is a file of ReserveBytes in the journal directory. When a journal write
// fails it is deleted and the write retried once on a fresh segment, so that the events of
// calls already running when the disk filled still land in the journal; new calls are
// refused from then on. A probe recreates it: its success is what "writable again" means.
const reserveName = "reserve"

// health is the journal's state as the gateway's admission sees it.
type health struct {
	down    atomic.Bool // the last write failed and no probe has succeeded since
	probing atomic.Bool

	mu        sync.Mutex
	err       error     // wraps ErrJournal with the reason; nil when up
	reason    string    // the cause without paths, for /readyz
	since     time.Time // when it went down
	lastProbe time.Time
}

// journalFailed is the journal's hook on a failed write: the Recorder goes down (logged once)
// and the reserve is released so the write can be retried.
func (r *Recorder) journalFailed(cause error) {
	r.health.mu.Lock()
	if !r.health.down.Load() {
		// What Admit returns reaches clients: the cause without the journal's path.
		r.health.reason = shortReason(cause)
		r.health.err = fmt.Errorf("%w (%s)", ErrJournal, r.health.reason)
		r.health.since, r.health.lastProbe = time.Now(), time.Now()
		r.health.down.Store(true)
		if r.cfg.AllowUnjournaled {
			r.log.Error("audit journal cannot be written: calls run WITHOUT audit events until it can ([audit] on_failure = \"allow\")",
				"dir", r.cfg.Dir, "err", cause)
		} else {
			r.log.Error("audit journal cannot be written: refusing new calls until it can ([audit] on_failure = \"refuse\")",
				"dir", r.cfg.Dir, "err", cause)
		}
	}
	r.health.mu.Unlock()
	if err := os.Remove(filepath.Join(r.cfg.Dir, reserveName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		r.log.Warn("audit journal: release reserve", "err", err)
	}
}

// shortReason names the cause of a journal failure without the file's path: /readyz is
// unauthenticated.
func shortReason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	if errors.Is(err, os.ErrClosed) {
		return "journal file closed"
	}
	return "write failed"
}

// Health reports whether the journal can be written: nil, or an error wrapping ErrJournal.
// While it cannot, at most once per ProbeInterval one caller probes it (recreates the
// reserve and, after a failed write, starts a fresh segment); the first success brings the
// Recorder back up, logged once.
func (r *Recorder) Health() error {
	if !r.health.down.Load() {
		return nil
	}
	r.health.mu.Lock()
	due := time.Since(r.health.lastProbe) >= r.cfg.ProbeInterval
	r.health.mu.Unlock()
	if due && r.health.probing.CompareAndSwap(false, true) {
		r.probe()
		r.health.probing.Store(false)
	}
	r.health.mu.Lock()
	defer r.health.mu.Unlock()
	return r.health.err
}

// Ready is nil when new calls are admitted; otherwise its message says why without naming
// files (it is served on the unauthenticated /readyz).
func (r *Recorder) Ready() error {
	switch {
	case r.closed.Load():
		return ErrClosed
	case !r.cfg.AllowUnjournaled && r.Health() != nil:
		r.health.mu.Lock()
		defer r.health.mu.Unlock()
		return fmt.Errorf("audit journal cannot be written (%s) since %s: calls are refused",
			r.health.reason, r.health.since.UTC().Format(time.RFC3339))
	case !r.cfg.Drop && r.pending.Load() >= int64(r.cfg.QueueSize):
		return fmt.Errorf("audit queue full (%d events not yet in the store): calls are refused", r.pending.Load())
	}
	return nil
}

func (r *Recorder) probe() {
	err := r.j.exclusive(func() error {
		if r.j.closed {
			return errJournalClosed
		}
		if err := writeReserve(r.cfg.Dir, r.cfg.ReserveBytes); err != nil {
			return err
		}
		if r.j.broken {
			return r.j.rotate()
		}
		return nil
	})
	r.health.mu.Lock()
	defer r.health.mu.Unlock()
	r.health.lastProbe = time.Now()
	if err != nil {
		return
	}
	r.log.Info("audit journal is writable again: calls are admitted", "down_for", time.Since(r.health.since).Round(time.Millisecond))
	r.health.err, r.health.reason = nil, ""
	r.health.down.Store(false)
}

// writeReserve (re)creates the reserve file with n bytes that no file system compresses
// away, synced, so that its space is really held. n < 0: no reserve.
func writeReserve(dir string, n int64) error {
	if n < 0 {
		return nil
	}
	path := filepath.Join(dir, reserveName)
	if fi, err := os.Stat(path); err == nil && fi.Size() == n {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("audit journal reserve: %w", err)
	}
	buf := make([]byte, min(n, 64<<10))
	rng := rand.NewChaCha8([32]byte{'m', 'c', 'p', 'g', 'w'})
	for left := n; left > 0 && err == nil; left -= int64(len(buf)) {
		_, _ = rng.Read(buf)
		_, err = f.Write(buf[:min(left, int64(len(buf)))])
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("audit journal reserve: %w", err)
	}
	return nil
}
