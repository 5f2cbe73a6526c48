package audit

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// readPos is how far the shipper has stored the journal: a segment and a byte offset in it
// (always at a record boundary).
type readPos struct {
	seg *segment
	off int64
}

// collected is what one pass over the journal read.
type collected struct {
	events []store.AuditEvent
	lines  int64 // records consumed, corrupt ones included
	// readBack counts the events read from the journal (the others came from memory).
	readBack int64
	pos      readPos
	done     []*segment // closed segments read to their end
}

// collect reads up to max records after r.pos. It does not move r.pos: the caller does that
// once the events are stored.
func (r *Recorder) collect(max int) (collected, error) {
	c := collected{pos: r.pos, events: r.batch[:0]}
	for _, seg := range r.j.segments() {
		if c.pos.seg != nil && seg.seq < c.pos.seg.seq {
			continue
		}
		if c.pos.seg != seg {
			c.pos = readPos{seg: seg}
		}
		// Load closed before size: the writer stores the final size before closed.
		closed := seg.closed.Load()
		size := seg.size.Load()
		for c.pos.off < size && len(c.events) < max {
			// What this process journaled comes from memory; the journal is read only where
			// the queue does not continue the position (a replay, or a full queue), and only
			// up to where it does again.
			if r.mem != nil && r.mem.take(&c, max) {
				continue
			}
			limit := size
			if r.mem != nil {
				if next, ok := r.mem.nextStart(seg, c.pos.off); ok && next < limit {
					limit = next
				}
			}
			if limit <= c.pos.off {
				break // memory continues, but its next write does not fit this batch
			}
			if err := r.readSegment(&c, limit, max); err != nil {
				return c, err
			}
		}
		if c.pos.off < size || !closed || len(c.events) >= max {
			break
		}
		c.done = append(c.done, seg)
	}
	return c, nil
}

// readSegment reads records of c.pos.seg from c.pos.off up to size (a record boundary).
func (r *Recorder) readSegment(c *collected, size int64, max int) error {
	seg := c.pos.seg
	if r.rfile == nil || r.rseg != seg {
		if r.rfile != nil {
			r.rfile.Close()
		}
		f, err := os.Open(seg.path)
		if err != nil {
			return fmt.Errorf("read audit journal: %w", err)
		}
		r.rfile, r.rseg = f, seg
	}
	if r.br == nil {
		r.br = bufio.NewReaderSize(nil, 64<<10)
	}
	br := r.br
	br.Reset(io.NewSectionReader(r.rfile, c.pos.off, size-c.pos.off))
	for len(c.events) < max {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read audit journal %s: %w", seg.path, err)
		}
		at := c.pos.off
		c.pos.off += int64(len(line))
		if at == 0 {
			if empty, err := checkHeader(line, seg); err != nil || empty {
				c.pos.off = size
				return err
			}
			continue
		}
		c.lines++
		if !bytes.HasSuffix(line, []byte("\n")) {
			// A record torn by a crash part-way through a write: never acknowledged.
			r.corrupt.Add(1)
			r.log.Warn("audit journal: skipping a torn last record", "file", seg.path, "offset", at)
			continue
		}
		ev, perr := ParseRecord(line[:len(line)-1])
		if perr != nil {
			r.corrupt.Add(1)
			r.log.Warn("audit journal: skipping a damaged record", "file", seg.path, "offset", at, "err", perr)
			continue
		}
		c.events = append(c.events, ev)
		c.readBack++
	}
	return nil
}

// shipOnce stores one batch and advances the read position past it. It returns the records
// consumed and whether it moved at all (false: caught up).
func (r *Recorder) shipOnce(ctx context.Context) (int64, bool, error) {
	c, err := r.collect(r.cfg.BatchSize)
	// The store is done with the events when InsertAudit returns: the next batch reuses
	// their array, cleared so that it holds on to no payload meanwhile.
	defer func() { clear(c.events); r.batch = c.events[:0] }()
	if err != nil {
		return 0, false, err
	}
	if len(c.events) > 0 {
		if err := r.cfg.Store.InsertAudit(ctx, c.events); err != nil {
			return 0, false, err
		}
	}
	moved := c.pos != r.pos || len(c.done) > 0
	r.pos = c.pos
	if r.mem != nil {
		r.mem.ack(r.pos)
	}
	r.readBack.Add(c.readBack)
	for _, seg := range c.done {
		if r.rseg == seg {
			r.rfile.Close()
			r.rfile, r.rseg = nil, nil
		}
		if err := r.j.remove(seg); err != nil {
			r.log.Warn("audit journal", "err", err)
		}
	}
	r.pending.Add(-c.lines)
	r.stored.Add(int64(len(c.events)))
	return c.lines, moved, nil
}

// drain ships until the journal is caught up, then lets an idle active segment rotate so
// that it can be deleted. It returns the number of records consumed.
func (r *Recorder) drain(ctx context.Context) (int64, error) {
	r.shipMu.Lock()
	defer r.shipMu.Unlock()
	var total int64
	for {
		n, moved, err := r.shipOnce(ctx)
		if err != nil {
			return total, fmt.Errorf("ship audit events: %w", err)
		}
		total += n
		if !moved {
			break
		}
	}
	if r.pos.seg == nil {
		return total, nil
	}
	rotated, err := r.j.rotateIfIdle(r.pos.seg, r.pos.off, idleRotateBytes, idleRotateAge)
	if err != nil {
		return total, err
	}
	if rotated { // the old segment is closed and fully shipped: this pass deletes it
		if _, _, err := r.shipOnce(ctx); err != nil {
			return total, fmt.Errorf("ship audit events: %w", err)
		}
	}
	return total, nil
}

// An idle active segment (everything in it stored) is replaced once it is this big or old,
// so that the journal on disk stays small and a restart replays little.
const (
	idleRotateBytes = 1 << 20
	idleRotateAge   = time.Minute
)

// Run ships the journal to the store until ctx ends or the Recorder is closed, retrying
// with backoff while the store fails, and applies retention. It does not flush: Close does.
func (r *Recorder) Run(ctx context.Context) error {
	done := make(chan struct{})
	defer func() { <-done }()
	go func() { defer close(done); r.retentionLoop(ctx) }()

	tick := time.NewTicker(r.cfg.FlushInterval)
	defer tick.Stop()
	backoff, failing, lastLog := time.Duration(0), false, time.Time{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.done:
			return nil
		case <-r.kick:
			// Let a batch gather: one insert of many rows costs the store far less than many
			// single-row inserts.
			if backoff == 0 && r.pending.Load() < int64(r.cfg.BatchSize) && !r.sleep(ctx, r.cfg.BatchDelay) {
				return nil
			}
		case <-r.flush:
		case <-tick.C:
		}
		if r.health.down.Load() { // probe without waiting for a call, so metrics and logs see recovery
			_ = r.Health()
		}
		if backoff > 0 && !r.sleep(ctx, backoff) {
			return nil
		}
		_, err := r.drain(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			if !failing || time.Since(lastLog) > 30*time.Second {
				r.log.Warn("audit events are kept in the journal until the store accepts them",
					"pending", r.pending.Load(), "err", err)
				lastLog = time.Now()
			}
			failing = true
		case err == nil && failing:
			r.log.Info("audit store accepts events again", "pending", r.pending.Load())
			backoff, failing = 0, false
		}
		if backoff > 0 { // retry without waiting for a kick
			select {
			case r.kick <- struct{}{}:
			default:
			}
		}
	}
}

// sleep waits d; false means the Recorder is stopping.
func (r *Recorder) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-r.done:
		return false
	case <-t.C:
		return true
	}
}

// retentionLoop deletes events older than RetainFor at start and every RetentionInterval.
func (r *Recorder) retentionLoop(ctx context.Context) {
	if r.cfg.RetainFor <= 0 {
		return
	}
	t := time.NewTicker(r.cfg.RetentionInterval)
	defer t.Stop()
	for {
		cutoff := time.Now().Add(-r.cfg.RetainFor)
		n, err := r.cfg.Store.DeleteAuditBefore(ctx, cutoff)
		switch {
		case err != nil && ctx.Err() == nil:
			r.log.Warn("audit retention", "err", err)
		case n > 0:
			r.log.Info("audit retention deleted old events", "deleted", n, "before", cutoff.UTC().Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return
		case <-r.done:
			return
		case <-t.C:
		}
	}
}

// checkHeader checks a segment's first line. A header torn while the segment was created
// means the segment holds no record (empty); another format is an error, and the segment
// is left in place.
func checkHeader(line []byte, seg *segment) (empty bool, err error) {
	switch {
	case string(line) == journalHeader:
		return false, nil
	case strings.HasPrefix(journalHeader, string(line)):
		return true, nil
	default:
		return false, fmt.Errorf("%s is not an audit journal this hub can read (a newer hub's?); "+
			"it is left in place: move it away or upgrade", seg.path)
	}
}
