package tunnel

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// yamuxTypeData is the yamux message type whose length field counts the body bytes that follow.
// For window updates, pings and go-aways the length field carries a value, not a body size.
const yamuxTypeData = 0

// maxBatch is the most bytes of whole yamux frames put into one WebSocket message (a single
// larger frame goes alone). It stays within every peer's read limit (minReadLimit + header).
const maxBatch = minReadLimit

// maxPending is how many bytes may wait for the sender before yamux's writes block: with a
// stuck socket yamux's own ConnectionWriteTimeout then ends the session, as with direct writes.
const maxPending = 4 << 20

// frameConn is the io.ReadWriteCloser handed to yamux. yamux v0.1.2's send loop writes a frame
// as two calls, header then body (session.go, sendLoop), one frame at a time. frameConn queues
// the bytes, and a sender goroutine, started when frames wait and gone when none do (an idle
// agent costs no goroutine for it), sends whole frames: each WebSocket message
// carries one or more whole yamux frames, never a part of one, and whatever frames queued up
// while the previous message was being written go out together in the next. At one call at a
// time that is a message per frame, as before; under load many frames share one write(2) and
// one wake-up of the peer. Reads need nothing: Read crosses message boundaries. Nothing but
// yamux may write to the Conn.
type frameConn struct{ c *Conn }

func (f frameConn) Read(p []byte) (int, error)  { return f.c.Read(p) }
func (f frameConn) Write(p []byte) (int, error) { return f.c.writeFrames(p) }
func (f frameConn) Close() error                { return f.c.Close() }

// frameQueue holds the bytes yamux wrote and the sender has not sent yet.
type frameQueue struct {
	mu      sync.Mutex
	space   sync.Cond // broadcast when the sender took bytes, or on failure
	buf     []byte    // whole frames, then the start of the frame being written
	ends    []int     // end offset in buf of each whole frame
	err     error     // sticky: the send failed or the Conn closed
	sending bool      // a sender goroutine is running
	spare   []byte    // the sender's last message buffer, reused
	spEnd   []int
}

// frameBodyLen is how many body bytes follow the yamux header h.
func frameBodyLen(h []byte) uint32 {
	if h[1] != yamuxTypeData {
		return 0
	}
	return binary.BigEndian.Uint32(h[8:12])
}

// writeFrames queues p, a piece of yamux's byte stream, and wakes the sender when a frame is
// whole. It blocks only while maxPending bytes wait.
func (c *Conn) writeFrames(p []byte) (int, error) {
	q := &c.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.err == nil && len(q.buf) >= maxPending {
		q.space.Wait()
	}
	if q.err != nil {
		return 0, q.err
	}
	whole := len(q.ends)
	q.buf = append(q.buf, p...)
	for {
		start := 0
		if n := len(q.ends); n > 0 {
			start = q.ends[n-1]
		}
		if len(q.buf)-start < yamuxHeaderSize {
			break
		}
		end := start + yamuxHeaderSize + int(frameBodyLen(q.buf[start:]))
		if len(q.buf) < end {
			break
		}
		q.ends = append(q.ends, end)
	}
	if len(q.ends) > whole && !q.sending {
		q.sending = true
		c.pinger.Add(1) // before failQueue sets err under q.mu, so Close's Wait sees it
		go c.sender()
	}
	return len(p), nil
}

// sender sends queued frames until none are left, then ends.
func (c *Conn) sender() {
	defer c.pinger.Done()
	q := &c.queue
	for {
		c.sendQueued(time.Time{})
		q.mu.Lock()
		if len(q.ends) == 0 || q.err != nil {
			q.sending = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
	}
}

// sendQueued sends the queued whole frames that fit in one message and reports whether more
// wait. The message's write deadline is the caller's (SetWriteDeadline), or WriteTimeout from
// now; by, when set, is used instead (the last flush before closing).
func (c *Conn) sendQueued(by time.Time) bool {
	// wmu is held from taking the frames to sending them, so that two senders (the
	// goroutine and a closing flush) never swap the order of two messages.
	c.wmu.Lock()
	defer c.wmu.Unlock()
	q := &c.queue
	q.mu.Lock()
	if q.err != nil || len(q.ends) == 0 {
		q.mu.Unlock()
		return false
	}
	k := 1
	for k < len(q.ends) && q.ends[k] <= maxBatch {
		k++
	}
	n := q.ends[k-1]
	out, outEnds := q.buf[:n], q.ends
	q.buf = append(q.spare[:0], q.buf[n:]...)
	q.ends = q.spEnd[:0]
	for _, e := range outEnds[k:] {
		q.ends = append(q.ends, e-n)
	}
	q.spare, q.spEnd = nil, nil
	more := len(q.ends) > 0
	q.mu.Unlock()

	err := c.sendMessage(out, by)

	q.mu.Lock()
	if cap(out) <= maxPending {
		q.spare, q.spEnd = out[:0], outEnds[:0]
	}
	if err != nil && q.err == nil {
		q.err = err
	}
	q.space.Broadcast()
	q.mu.Unlock()
	return more && err == nil
}

// sendMessage writes b as one binary message; wmu is held.
func (c *Conn) sendMessage(b []byte, by time.Time) error {
	if by.IsZero() {
		by = time.Now().Add(c.cfg.WriteTimeout)
		if n := c.userWD.Load(); n != 0 && n < by.UnixNano() {
			by = time.Unix(0, n)
		}
	}
	_ = c.ws.SetWriteDeadline(by)
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		return c.writeError(err)
	}
	return nil
}

// flushQueued sends what is queued before the Conn closes (a refusal written just before
// the session is closed), within by.
func (c *Conn) flushQueued(by time.Time) {
	for c.sendQueued(by) {
	}
}

// failQueue makes queued and later writes fail with err and wakes blocked writers.
func (c *Conn) failQueue(err error) {
	q := &c.queue
	q.mu.Lock()
	if q.err == nil {
		q.err = err
	}
	q.space.Broadcast()
	q.mu.Unlock()
}
