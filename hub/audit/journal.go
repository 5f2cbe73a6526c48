package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// segment is one journal file, audit-<seq>.jnl. Only the active segment is written; once
// rotated it is closed and deleted after the shipper has stored all of it.
type segment struct {
	seq     uint64
	path    string
	created time.Time
	// size is the committed length: whole records only, published after each write.
	size atomic.Int64
	// closed is set after the last size update; a reader that sees it sees the final size.
	closed atomic.Bool
}

func segmentName(seq uint64) string { return fmt.Sprintf("audit-%016d.jnl", seq) }

// listSegments returns the journal segments in dir in sequence order.
func listSegments(dir string) ([]*segment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []*segment
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "audit-")
		num, ok2 := strings.CutSuffix(num, ".jnl")
		seq, err := strconv.ParseUint(num, 10, 64)
		if !ok || !ok2 || err != nil || e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		s := &segment{seq: seq, path: filepath.Join(dir, e.Name())}
		s.size.Store(info.Size())
		s.closed.Store(true)
		segs = append(segs, s)
	}
	slices.SortFunc(segs, func(a, b *segment) int { return cmpUint(a.seq, b.seq) })
	return segs, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// journal appends records to the active segment with group commit: concurrent writers add
// their records to one pending batch, and whichever finds no write in progress writes the
// whole batch with a single write(2) (and fdatasync when fsync is on) for all of them.
type journal struct {
	dir          string
	fsync        bool
	segmentBytes int64

	mu      sync.Mutex
	cond    *sync.Cond
	pending *batch // records waiting for the next write; nil when none
	writing bool   // a leader is writing (only it touches file and active)
	closed  bool
	file    *os.File
	active  *segment
	broken  bool // the last write failed part-way: rotate before writing again
	// failed is called after a failed write, before the one retry on a fresh segment: it
	// releases the space reserve and takes the Recorder down (health.go).
	failed func(error)
	// mem, when set, receives each successful write's events for the shipper.
	mem *memQueue

	segMu sync.Mutex
	segs  []*segment // not yet deleted, oldest first; the last one is active
	next  uint64     // sequence number of the next segment
}

type batch struct {
	buf     []byte
	events  []store.AuditEvent // the records' events, in order, when the journal has mem
	n       int                // records in buf
	written bool
	err     error
}

var batchPool = sync.Pool{New: func() any { return &batch{buf: make([]byte, 0, 64<<10)} }}

// errJournalClosed is returned by append after close.
var errJournalClosed = errors.New("audit journal closed")

// openJournal starts a new active segment after the existing ones (left by an earlier run,
// to be replayed by the shipper).
func openJournal(dir string, fsync bool, segmentBytes int64) (*journal, error) {
	existing, err := listSegments(dir)
	if err != nil {
		return nil, fmt.Errorf("open audit journal: %w", err)
	}
	j := &journal{dir: dir, fsync: fsync, segmentBytes: segmentBytes, segs: existing, next: 1}
	if len(existing) > 0 {
		j.next = existing[len(existing)-1].seq + 1
	}
	j.cond = sync.NewCond(&j.mu)
	if err := j.rotate(); err != nil {
		return nil, err
	}
	return j, nil
}

// append makes rec durable in the journal (in the page cache, or on disk with fsync) and
// returns once it is. rec must be one whole record, the encoding of ev (which is handed to
// the memory queue after the write; ev may be nil when the journal has no queue).
func (j *journal) append(rec []byte, ev *store.AuditEvent) error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return errJournalClosed
	}
	b := j.pending
	if b == nil {
		b = batchPool.Get().(*batch)
		b.buf, b.events, b.n, b.written, b.err = b.buf[:0], nil, 0, false, nil
		j.pending = b
	}
	b.buf = append(b.buf, rec...)
	if j.mem != nil && ev != nil {
		b.events = append(b.events, *ev)
	}
	b.n++
	for !b.written {
		if !j.writing {
			// No write in progress, so b is still the pending batch: lead it.
			if j.closed { // closed while b waited behind close's exclusive section
				b.err, b.written = errJournalClosed, true
				j.cond.Broadcast()
				break
			}
			j.pending, j.writing = nil, true
			j.mu.Unlock()
			err := j.write(b.buf, b.events)
			j.mu.Lock()
			b.err, b.written, j.writing = err, true, false
			j.cond.Broadcast()
			break
		}
		j.cond.Wait()
	}
	err := b.err
	b.n--
	if b.n == 0 { // the last reader of the batch returns it
		b.events = nil // the memory queue's now
		batchPool.Put(b)
	}
	j.mu.Unlock()
	return err
}

// write runs with writing set, so it owns file and active. A failed write is retried once
// on a fresh segment, after failed has released the reserve: the records of calls that were
// already running when the disk filled still land in the journal.
func (j *journal) write(buf []byte, evs []store.AuditEvent) error {
	err := j.writeOnce(buf, evs)
	if err == nil || j.failed == nil {
		return err
	}
	j.failed(err)
	if err2 := j.writeOnce(buf, evs); err2 != nil {
		return fmt.Errorf("%w (retried on a new segment: %w)", err, err2)
	}
	return nil
}

// writeOnce writes buf to the active segment and, once it is there, hands evs to the
// memory queue with the records' place (still as the only writer, so in write order).
func (j *journal) writeOnce(buf []byte, evs []store.AuditEvent) error {
	if j.broken || j.active.size.Load() >= j.segmentBytes {
		if err := j.rotate(); err != nil {
			return err
		}
	}
	n, err := j.file.Write(buf)
	if err == nil && j.fsync {
		err = j.file.Sync()
	}
	if err != nil {
		// Bytes of a failed write may be on disk; they lie beyond the committed size, and the
		// segment is abandoned at the next write, so no record follows them.
		j.broken = true
		return fmt.Errorf("write audit journal %s (%d of %d bytes): %w", j.active.path, n, len(buf), err)
	}
	// The queue gets the events before the size is published: a shipper that saw the new
	// size before the push would find the queue short of it and read the records back from
	// the journal (it did, under load). This writer alone moves the size.
	start := j.active.size.Load()
	if j.mem != nil && len(evs) > 0 {
		j.mem.push(j.active, start, start+int64(n), evs)
	}
	j.active.size.Store(start + int64(n))
	return nil
}

// rotate closes the active segment and starts the next. It runs with writing set (or
// before the journal is shared).
func (j *journal) rotate() error {
	seg := &segment{seq: j.next, path: filepath.Join(j.dir, segmentName(j.next)), created: time.Now()}
	f, err := os.OpenFile(seg.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("create audit journal segment: %w", err)
	}
	if _, err := f.WriteString(journalHeader); err != nil {
		f.Close()
		os.Remove(seg.path)
		return fmt.Errorf("create audit journal segment %s: %w", seg.path, err)
	}
	if j.fsync {
		if err := syncDir(j.dir); err != nil {
			f.Close()
			return err
		}
	}
	seg.size.Store(int64(len(journalHeader)))
	j.next++
	old, oldFile := j.active, j.file
	j.active, j.file, j.broken = seg, f, false
	j.segMu.Lock()
	j.segs = append(j.segs, seg)
	j.segMu.Unlock()
	if old != nil {
		old.closed.Store(true)
		oldFile.Close()
	}
	return nil
}

// syncDir makes a new file's directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync audit journal directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync audit journal directory: %w", err)
	}
	return nil
}

// exclusive runs fn while no write is in progress and none can start; fn may rotate.
func (j *journal) exclusive(fn func() error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.writing {
		j.cond.Wait()
	}
	j.writing = true
	j.mu.Unlock()
	err := fn()
	j.mu.Lock()
	j.writing = false
	j.cond.Broadcast()
	return err
}

// rotateIfIdle rotates when everything in the active segment up to size has been shipped,
// so the shipper can delete it. It reports whether it rotated.
func (j *journal) rotateIfIdle(seg *segment, shipped int64, minBytes int64, minAge time.Duration) (bool, error) {
	rotated := false
	err := j.exclusive(func() error {
		if j.closed || j.active != seg || seg.size.Load() != shipped ||
			(shipped < minBytes && time.Since(seg.created) < minAge) || shipped == int64(len(journalHeader)) {
			return nil
		}
		rotated = true
		return j.rotate()
	})
	return rotated, err
}

// close refuses further appends, waits for the write in progress and closes the active
// segment (which the shipper may then delete once it is stored).
func (j *journal) close() error {
	return j.exclusive(func() error {
		j.mu.Lock()
		j.closed = true
		j.mu.Unlock()
		j.active.closed.Store(true)
		return j.file.Close()
	})
}

// segments returns the live segments, oldest first.
func (j *journal) segments() []*segment {
	j.segMu.Lock()
	defer j.segMu.Unlock()
	return slices.Clone(j.segs)
}

// remove deletes a fully shipped, closed segment.
func (j *journal) remove(seg *segment) error {
	j.segMu.Lock()
	j.segs = slices.DeleteFunc(j.segs, func(s *segment) bool { return s == seg })
	j.segMu.Unlock()
	if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove shipped audit journal segment: %w", err)
	}
	return nil
}
