package audit

import (
	"sync"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// memQueue hands the shipper the events the journal has just written, so that it stores
// them without reading and decoding the journal back. The journal stays the durable copy:
// the queue only saves the read, and the shipper reads the journal whenever the queue does
// not continue its position — at startup (what an earlier run left), and after the queue
// was full (a write whose events it did not keep).
//
// Entries are whole journal writes (one group commit), in write order; each names the byte
// range its records take in their segment. The shipper peeks at them, and drops them only
// once the store has acknowledged them (ack), so a failed insert retries from memory too.
type memQueue struct {
	limit int64 // bytes of records held at most

	mu    sync.Mutex
	q     []queuedWrite
	head  int // q[:head] are dropped
	bytes int64
}

// queuedWrite is one journal write's events and where its records lie.
type queuedWrite struct {
	seg        *segment
	start, end int64
	events     []store.AuditEvent
}

// defaultMemQueueBytes bounds the records the queue holds (their journal size); past it
// the shipper reads the journal. At 1,000 calls/s of ≈ 1 KiB records that is 16 s of
// events, far more than a batch gathers while the store keeps up.
const defaultMemQueueBytes = 16 << 20

// push keeps a write's events; false when the queue is full (the shipper will read them
// from the journal).
func (m *memQueue) push(seg *segment, start, end int64, evs []store.AuditEvent) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := end - start
	if m.bytes+n > m.limit {
		return false
	}
	m.q = append(m.q, queuedWrite{seg: seg, start: start, end: end, events: evs})
	m.bytes += n
	return true
}

// take appends to c the events of the queued writes that continue c.pos in its segment,
// up to max events (a single write is taken whole), and advances c.pos past them. It
// reports whether it took any. At offset 0 of a segment this process created, the first
// write starts after the header (written by this process, so not checked again).
func (m *memQueue) take(c *collected, max int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	seg, took := c.pos.seg, false
	for _, w := range m.q[m.head:] {
		if w.seg != seg {
			if w.seg.seq < seg.seq {
				continue
			}
			break
		}
		if w.start < c.pos.off {
			continue // read from the journal already
		}
		if w.start != c.pos.off && (c.pos.off != 0 || w.start != int64(len(journalHeader))) {
			break // a gap: those records are in the journal only
		}
		if len(c.events) > 0 && len(c.events)+len(w.events) > max {
			break
		}
		c.events = append(c.events, w.events...)
		c.lines += int64(len(w.events))
		c.pos.off = w.end
		took = true
		if len(c.events) >= max {
			break
		}
	}
	return took
}

// nextStart returns where in seg the first queued write at or after off starts, so that a
// read of the journal can stop there and continue from memory.
func (m *memQueue) nextStart(seg *segment, off int64) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.q[m.head:] {
		if w.seg == seg && w.start >= off {
			return w.start, true
		}
		if w.seg.seq > seg.seq {
			break
		}
	}
	return 0, false
}

// ack drops the writes the store holds now: those before pos, and those pos is inside of
// (the shipper read past their start from the journal).
func (m *memQueue) ack(pos readPos) {
	if pos.seg == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for m.head < len(m.q) {
		w := &m.q[m.head]
		if w.seg.seq > pos.seg.seq || (w.seg == pos.seg && w.start >= pos.off) {
			break
		}
		m.bytes -= w.end - w.start
		*w = queuedWrite{}
		m.head++
	}
	if m.head == len(m.q) {
		m.q, m.head = m.q[:0], 0
	}
}

// len returns the writes held (for tests).
func (m *memQueue) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.q) - m.head
}
