package tunnel

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Direct streams (protocol capability 4): call streams carried as WebSocket messages of
// their own beside yamux, which keeps the control stream. A yamux stream's write hands each
// frame to yamux's send loop and waits to be woken when it is written, and each frame read
// wakes the stream's reader from yamux's receive loop; a direct stream's writer writes the
// WebSocket message itself when nobody else is sending (else its record joins the sender's
// next message), and the Conn's reader delivers records straight into the streams' buffers.
// Flow control is yamux's: a credit per stream, granted back as the reader consumes.

// Errors of direct streams.
var (
	// ErrStreamReset is returned by a direct stream's Read and Write after a reset.
	ErrStreamReset = errors.New("tunnel: direct stream reset")
	// ErrDirectOff is returned by Open and Accept on a tunnel whose direct streams are off.
	ErrDirectOff = errors.New("tunnel: direct streams are not enabled on this tunnel")
)

const (
	// maxRecordPayload is the largest data record a writer makes: large writes are split.
	maxRecordPayload = 64 << 10
	// maxWriteChunk is the most a Write queues at once (as records of maxRecordPayload).
	maxWriteChunk = 256 << 10
	// maxDirectMessage bounds a direct message, within every peer's read limit (minReadLimit).
	maxDirectMessage = minReadLimit
	// maxDirectPending is how many bytes of records may wait for the sender before writers
	// block (until their write deadline).
	maxDirectPending = 4 << 20
	// maxCredit bounds a stream's send credit; a peer granting more is misbehaving.
	maxCredit = 1 << 30
	// directCloseWait is DirectMux.closeWait: as yamux's StreamCloseTimeout here.
	directCloseWait = 5 * time.Minute
)

// DirectMux carries the direct streams of one tunnel. The hub's end opens streams and the
// agent's end accepts them; ids are the opener's. It is off until enabled: the agent's end
// at dial when it speaks capability 4, the hub's end once the agent's hello said 4.
type DirectMux struct {
	c      *Conn
	opener bool
	window uint32 // receive window per stream (Config.MaxStreamWindowSize)
	// closeWait is how long a stream closed at this end waits for the peer's close before
	// it is reset and forgotten (yamux's StreamCloseTimeout).
	closeWait time.Duration
	on        atomic.Bool

	mu      sync.Mutex // guards streams, nextID, maxSeen, err
	streams map[uint32]*DirectStream
	nextID  uint32
	maxSeen uint32 // the acceptor's highest stream id seen: lower unknown ids are stale
	err     error
	dead    chan struct{} // closed when the tunnel fails
	accept  chan *DirectStream

	pmu     sync.Mutex // guards the sending state below
	pend    []byte     // DirectMarker, then whole records waiting to be sent
	spare   []byte
	sending bool          // a writer is sending pend
	space   chan struct{} // closed when a message went out; made by a waiting writer
}

func newDirectMux(c *Conn, opener bool) *DirectMux {
	m := &DirectMux{
		c: c, opener: opener, window: c.cfg.MaxStreamWindowSize, closeWait: directCloseWait,
		streams: map[uint32]*DirectStream{}, dead: make(chan struct{}),
	}
	if !opener { // the hub's end accepts nothing: an idle agent costs it no backlog
		m.accept = make(chan *DirectStream, c.cfg.AcceptBacklog)
	}
	return m
}

// Enable turns direct streams on: from now on the Conn's reader takes direct messages.
func (m *DirectMux) Enable() { m.on.Store(true) }

// Enabled reports whether direct streams are on.
func (m *DirectMux) Enabled() bool { return m.on.Load() }

// Open opens a direct stream (the hub's end). Nothing is sent until the first Write, which
// gives the stream its id: ids reach the wire in increasing order, so the acceptor can tell
// a new stream from a late record of one it has forgotten.
func (m *DirectMux) Open() (*DirectStream, error) {
	if !m.on.Load() || !m.opener {
		return nil, ErrDirectOff
	}
	if err := m.failure(); err != nil {
		return nil, err
	}
	return m.newStream(0), nil
}

// assign gives s its id at its first record; m.pmu is held, so ids are queued in order.
func (m *DirectMux) assign(s *DirectStream) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nextID == ^uint32(0) {
		return errors.New("tunnel: direct stream ids exhausted; reconnect")
	}
	m.nextID++
	s.id.Store(m.nextID)
	m.streams[m.nextID] = s
	return nil
}

// Accept waits for the next stream the peer opens (the agent's end).
func (m *DirectMux) Accept() (*DirectStream, error) {
	if m.opener {
		return nil, ErrDirectOff
	}
	if err := m.failure(); err != nil {
		return nil, err // streams still queued are dead too
	}
	select {
	case s := <-m.accept:
		return s, nil
	case <-m.dead:
		return nil, m.failure()
	}
}

// Closed reports whether the tunnel has failed or closed (every stream then fails). It may
// turn true a moment before the yamux session notices.
func (m *DirectMux) Closed() bool { return m.failure() != nil }

// Streams is the number of streams not yet closed by both ends.
func (m *DirectMux) Streams() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.streams)
}

func (m *DirectMux) newStream(id uint32) *DirectStream {
	s := &DirectStream{m: m, credit: directInitialCred, limit: directInitialCred,
		rwake: make(chan struct{}, 1), wwake: make(chan struct{}, 1)}
	s.id.Store(id)
	return s
}

// fail makes every direct stream fail with err, at once: the tunnel is gone.
func (m *DirectMux) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return
	}
	m.err = fmt.Errorf("tunnel: direct stream: tunnel closed: %w", err)
	close(m.dead)
}

func (m *DirectMux) failure() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

func (m *DirectMux) remove(id uint32) {
	m.mu.Lock()
	delete(m.streams, id)
	m.mu.Unlock()
}

// deliver hands a received record to its stream; it runs in the Conn's reader. A first data
// record for a new id creates the stream on the acceptor's end; records for streams already
// gone are dropped. A failure to answer (a reset, credit) is the write path's: it closes the
// tunnel itself.
func (m *DirectMux) deliver(r record) { _ = m.deliverErr(r) }

func (m *DirectMux) deliverErr(r record) error {
	m.mu.Lock()
	s := m.streams[r.id]
	if s == nil {
		if m.opener || r.kind != RecordData || r.id <= m.maxSeen || m.err != nil {
			m.mu.Unlock()
			return nil
		}
		m.maxSeen = r.id
		s = m.newStream(r.id)
		select {
		case m.accept <- s:
			m.streams[r.id] = s
		default:
			m.mu.Unlock()
			m.c.cfg.Logger.Warn("tunnel: direct stream refused: accept backlog full", "stream", r.id)
			return m.sendFromReader(s, RecordReset, 0)
		}
	}
	m.mu.Unlock()
	switch r.kind {
	case RecordData:
		return s.received(r.payload)
	case RecordWindow:
		return s.granted(r.n)
	case RecordClose:
		s.remoteClosed()
	case RecordReset:
		s.gone(ErrStreamReset)
	}
	return nil
}

// send queues one record and, if no writer is sending, sends until nothing is queued. A
// data record is refused once its stream is closed; a close record marks it closed, in the
// same critical section, so no data follows a close on the wire.
func (m *DirectMux) send(s *DirectStream, kind RecordKind, n uint32, payload []byte, dl time.Time) error {
	m.pmu.Lock()
	for len(m.pend) >= maxDirectPending {
		if m.space == nil {
			m.space = make(chan struct{})
		}
		ch := m.space
		m.pmu.Unlock()
		if err := s.wait(ch, dl); err != nil {
			return err
		}
		m.pmu.Lock()
	}
	select {
	case <-m.dead:
		m.pmu.Unlock()
		return m.failure()
	default:
	}
	switch kind {
	case RecordData:
		if s.lclosed.Load() {
			m.pmu.Unlock()
			return fmt.Errorf("tunnel: direct stream %d write: %w", s.StreamID(), net.ErrClosed)
		}
	case RecordClose:
		if s.lclosed.Swap(true) {
			m.pmu.Unlock()
			return nil
		}
	}
	id := s.StreamID()
	if id == 0 {
		if kind != RecordData {
			m.pmu.Unlock()
			return nil // a stream that never sent anything: the peer never knew it
		}
		if err := m.assign(s); err != nil {
			m.pmu.Unlock()
			return err
		}
		id = s.StreamID()
	}
	if !m.enqueue(id, kind, n, payload) {
		return nil
	}
	// Yield once before sending: writers made ready by the same wake-up (the calls whose
	// records arrived in one message) then append theirs and share this write(2). Without
	// it each record went out alone, and at 16 concurrent streams a round trip cost 3x the
	// CPU of yamux's batching sender (docs/BENCHMARKS.md, "Sixth pass"); with nothing else
	// ready it costs a pass through the scheduler.
	runtime.Gosched()
	m.pmu.Lock()
	return m.flush()
}

// enqueue appends a record for stream id (a data record's payload as records of at most
// maxRecordPayload) and releases m.pmu, held on entry. True: nobody was sending, and the
// caller is now the sender (m.sending is set) and must flush.
func (m *DirectMux) enqueue(id uint32, kind RecordKind, n uint32, payload []byte) bool {
	if len(m.pend) == 0 {
		m.pend = append(m.pend, DirectMarker)
	}
	if kind != RecordData {
		m.pend = appendRecord(m.pend, id, kind, n, nil)
	}
	for len(payload) > 0 {
		k := min(len(payload), maxRecordPayload)
		m.pend = appendRecord(m.pend, id, RecordData, uint32(k), payload[:k])
		payload = payload[k:]
	}
	start := !m.sending
	m.sending = true
	m.pmu.Unlock()
	return start
}

// sendFromReader queues a window or reset record from the tunnel's reader: it never waits
// for the pending bound and never writes itself. A reader that blocked in a write while its
// peer's reader blocked in one too (both sending more than the sockets hold) would stop both
// tunnel ends for good; a sender goroutine is started instead when none runs (these records
// are rare: most credit goes back from a stream's Read).
func (m *DirectMux) sendFromReader(s *DirectStream, kind RecordKind, n uint32) error {
	m.pmu.Lock()
	id := s.StreamID()
	if m.failure() != nil || id == 0 {
		m.pmu.Unlock()
		return nil
	}
	if !m.enqueue(id, kind, n, nil) {
		return nil
	}
	go func() {
		m.pmu.Lock()
		_ = m.flush()
	}()
	return nil
}

// flush sends the queued records, a message at a time, until none are left; m.pmu is held
// on entry and released on return. A failed write closes the tunnel: the peer can no
// longer know which records it was sent (as for yamux, GHSA-29qp-crvh-w22m).
func (m *DirectMux) flush() error {
	for {
		end := 1
		for end < len(m.pend) {
			k := recordLen(m.pend[end:])
			if end > 1 && end+k > maxDirectMessage {
				break
			}
			end += k
		}
		out, rest := m.pend[:end], m.pend[end:]
		m.pend, m.spare = m.spare[:0], nil
		if len(rest) > 0 {
			m.pend = append(append(m.pend, DirectMarker), rest...)
		}
		m.pmu.Unlock()
		err := m.c.sendDirect(out)
		m.pmu.Lock()
		if cap(out) <= maxDirectMessage {
			m.spare = out[:0]
		}
		if m.space != nil {
			close(m.space)
			m.space = nil
		}
		if err != nil {
			m.sending = false
			m.pmu.Unlock()
			m.fail(err)
			_ = m.c.Close()
			return err
		}
		if len(m.pend) == 0 {
			m.sending = false
			m.pmu.Unlock()
			return nil
		}
	}
}

// errTimeout is a direct stream's deadline error; like os.ErrDeadlineExceeded it is a
// net.Error whose Timeout is true.
var errTimeout = os.ErrDeadlineExceeded

// DirectStream is one call stream carried as direct records. Close ends it for this end:
// a close record is sent, later writes fail, and what arrives later is discarded (credited
// back so the peer is never stuck); the peer's Read returns io.EOF after the buffered data.
type DirectStream struct {
	m  *DirectMux
	id atomic.Uint32 // 0 until the opener's first record

	wlock   sync.Mutex // one Write at a time: a split write's records stay in order
	lclosed atomic.Bool

	mu       sync.Mutex
	buf      []byte // received, not yet read: buf[off:]
	off      int
	rclosed  bool   // the peer sent close
	err      error  // reset (either end) or a flow-control violation
	recvd    uint64 // data bytes received in all
	limit    uint64 // data bytes the peer may send in all (credit granted)
	consumed uint64 // data bytes read (or discarded) in all
	credit   uint64 // bytes this end may still send
	rdl, wdl time.Time
	closeT   *time.Timer   // after Close, until the peer's close: resets a stream it never closes
	rwake    chan struct{} // wakes a blocked Read
	wwake    chan struct{} // wakes a Write waiting for credit
}

// StreamID is the stream's id, as the opener chose it (0 before its first write).
func (s *DirectStream) StreamID() uint32 { return s.id.Load() }

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// wait blocks until ch is ready, the deadline dl passes (errTimeout) or the tunnel dies.
func (s *DirectStream) wait(ch <-chan struct{}, dl time.Time) error {
	var tc <-chan time.Time
	if !dl.IsZero() {
		d := time.Until(dl)
		if d <= 0 {
			return errTimeout
		}
		t := time.NewTimer(d)
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-ch:
		return nil
	case <-tc:
		return errTimeout
	case <-s.m.dead:
		return s.m.failure()
	}
}

func (s *DirectStream) deadErr() error {
	select {
	case <-s.m.dead:
		return s.m.failure()
	default:
		return nil
	}
}

// Read reads received data; io.EOF once the peer closed and the data is read.
func (s *DirectStream) Read(p []byte) (int, error) {
	for {
		s.mu.Lock()
		if s.off < len(s.buf) {
			n := copy(p, s.buf[s.off:])
			s.off += n
			if s.off == len(s.buf) {
				s.buf, s.off = s.buf[:0], 0
				if cap(s.buf) > maxRecordPayload {
					s.buf = releaseBuf(s.buf) // an idle lane keeps no large buffer
				}
			}
			grant := s.consume(n)
			s.mu.Unlock()
			if grant > 0 {
				_ = s.m.send(s, RecordWindow, grant, nil, time.Time{})
			}
			return n, nil
		}
		err := s.err
		switch {
		case err != nil:
		case s.lclosed.Load():
			err = fmt.Errorf("tunnel: direct stream %d read: %w", s.StreamID(), net.ErrClosed)
		case s.rclosed:
			err = io.EOF
		}
		dl := s.rdl
		s.mu.Unlock()
		if err == nil {
			err = s.deadErr()
		}
		if err != nil {
			return 0, err
		}
		if err := s.wait(s.rwake, dl); err != nil {
			return 0, err
		}
	}
}

// consume counts n bytes read and returns the credit to grant back, if it is time; s.mu is
// held. Credit goes back once half the window is free, as yamux does.
func (s *DirectStream) consume(n int) uint32 {
	s.consumed += uint64(n)
	want := s.consumed + uint64(s.m.window)
	if want-s.limit < uint64(s.m.window/2) {
		return 0
	}
	d := want - s.limit
	s.limit = want
	return uint32(d)
}

// Write sends p as data records, waiting for credit; it gives up at the write deadline.
func (s *DirectStream) Write(p []byte) (int, error) {
	s.wlock.Lock()
	defer s.wlock.Unlock()
	total := 0
	for len(p) > 0 {
		s.mu.Lock()
		err, credit, dl := s.err, s.credit, s.wdl
		if err == nil && credit > 0 {
			n := min(uint64(len(p)), credit, maxWriteChunk)
			s.credit -= n
			s.mu.Unlock()
			if err := s.m.send(s, RecordData, uint32(n), p[:n], dl); err != nil {
				return total, err
			}
			total += int(n)
			p = p[n:]
			continue
		}
		s.mu.Unlock()
		if err == nil && s.lclosed.Load() {
			err = fmt.Errorf("tunnel: direct stream %d write: %w", s.StreamID(), net.ErrClosed)
		}
		if err == nil {
			err = s.wait(s.wwake, dl)
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Close ends the stream for this end (see DirectStream).
func (s *DirectStream) Close() error {
	s.mu.Lock()
	if s.err != nil || s.lclosed.Load() {
		s.mu.Unlock()
		return nil
	}
	grant := s.consume(len(s.buf) - s.off)
	s.buf, s.off = nil, 0
	s.mu.Unlock()
	err := s.m.send(s, RecordClose, 0, nil, time.Now().Add(s.m.c.cfg.WriteTimeout))
	wake(s.rwake)
	wake(s.wwake)
	if grant > 0 {
		_ = s.m.send(s, RecordWindow, grant, nil, time.Time{})
	}
	s.mu.Lock()
	both := s.rclosed
	if !both && s.err == nil && s.StreamID() != 0 {
		s.closeT = time.AfterFunc(s.m.closeWait, s.abandon)
	}
	s.mu.Unlock()
	if both {
		s.m.remove(s.StreamID())
	}
	return err
}

// abandon resets a stream closed here that the peer never closed, so that neither end
// keeps it for the tunnel's life.
func (s *DirectStream) abandon() {
	if s.gone(fmt.Errorf("%w: the peer did not close it within %s", ErrStreamReset, s.m.closeWait)) {
		_ = s.m.send(s, RecordReset, 0, nil, time.Now().Add(s.m.c.cfg.WriteTimeout))
	}
}

// Reset abandons the stream at both ends: their Reads and Writes fail with ErrStreamReset.
func (s *DirectStream) Reset() error {
	if !s.gone(ErrStreamReset) {
		return nil
	}
	return s.m.send(s, RecordReset, 0, nil, time.Now().Add(s.m.c.cfg.WriteTimeout))
}

// gone fails the stream with err and forgets it; false if it had already failed.
func (s *DirectStream) gone(err error) bool {
	s.mu.Lock()
	first := s.err == nil
	if first {
		s.err = err
		s.buf, s.off = nil, 0
	}
	if s.closeT != nil {
		s.closeT.Stop()
	}
	s.mu.Unlock()
	s.m.remove(s.StreamID())
	wake(s.rwake)
	wake(s.wwake)
	return first
}

// received appends a data record's payload; it runs in the Conn's reader. Data beyond the
// credit granted resets the stream: the peer ignored flow control, and buffering it would
// let one peer grow this end's memory without bound.
func (s *DirectStream) received(b []byte) error {
	s.mu.Lock()
	if s.err != nil || s.rclosed {
		s.mu.Unlock()
		return nil // late data for a stream already failed, or after close: dropped
	}
	s.recvd += uint64(len(b))
	if s.recvd > s.limit {
		over := s.recvd - s.limit
		s.mu.Unlock()
		s.m.c.cfg.Logger.Warn("tunnel: peer sent beyond its credit on a direct stream; resetting it",
			"stream", s.StreamID(), "over_by", over, "remote", s.m.c.RemoteAddr().String())
		if s.gone(fmt.Errorf("%w: the peer sent %d bytes beyond its credit", ErrStreamReset, over)) {
			return s.m.sendFromReader(s, RecordReset, 0)
		}
		return nil
	}
	if s.lclosed.Load() {
		grant := s.consume(len(b)) // nobody reads any more: discard, and give the credit back
		s.mu.Unlock()
		if grant > 0 {
			return s.m.sendFromReader(s, RecordWindow, grant)
		}
		return nil
	}
	if cap(s.buf)-len(s.buf) < len(b) {
		s.grow(len(b))
	}
	s.buf = append(s.buf, b...)
	s.mu.Unlock()
	wake(s.rwake)
	return nil
}

// grow makes room for n more bytes in s.buf; s.mu is held. The unread bytes move to the
// front first (credit bounds them); a larger buffer comes from largeBufs when it can.
func (s *DirectStream) grow(n int) {
	live := s.buf[s.off:]
	need := len(live) + n
	if need <= cap(s.buf) {
		s.buf, s.off = s.buf[:copy(s.buf, live)], 0
		return
	}
	var nb []byte
	if need > maxRecordPayload {
		if bp, ok := largeBufs.Get().(*[]byte); ok && cap(*bp) >= need {
			nb = (*bp)[:0]
		}
	}
	if nb == nil {
		nb = make([]byte, 0, max(need, 2*cap(s.buf), 4<<10))
	}
	nb = append(nb, live...)
	if cap(s.buf) > maxRecordPayload {
		releaseBuf(s.buf)
	}
	s.buf, s.off = nb, 0
}

// largeBufs holds drained stream buffers larger than a record, for the next stream that
// receives a large payload: a bulk transfer then reuses them instead of growing a buffer
// again after every drain, and an idle lane holds none.
var largeBufs sync.Pool

func releaseBuf(b []byte) []byte {
	b = b[:0]
	largeBufs.Put(&b)
	return nil
}

// granted adds credit from a window update.
func (s *DirectStream) granted(n uint32) error {
	s.mu.Lock()
	s.credit += uint64(n)
	over := s.credit > maxCredit
	s.mu.Unlock()
	if over && s.gone(fmt.Errorf("%w: the peer granted more than %d bytes of credit", ErrStreamReset, maxCredit)) {
		return s.m.sendFromReader(s, RecordReset, 0)
	}
	wake(s.wwake)
	return nil
}

// remoteClosed records the peer's close.
func (s *DirectStream) remoteClosed() {
	s.mu.Lock()
	s.rclosed = true
	if s.closeT != nil {
		s.closeT.Stop()
	}
	s.mu.Unlock()
	wake(s.rwake)
	if s.lclosed.Load() {
		s.m.remove(s.StreamID())
	}
}

// SetReadDeadline sets the deadline of Reads, including one blocked now.
func (s *DirectStream) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.rdl = t
	s.mu.Unlock()
	wake(s.rwake)
	return nil
}

// SetWriteDeadline sets the deadline of Writes, including one waiting for credit now.
func (s *DirectStream) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	s.wdl = t
	s.mu.Unlock()
	wake(s.wwake)
	return nil
}

// closeTunnel ends the whole tunnel the stream runs in.
func (s *DirectStream) closeTunnel() error { return s.m.c.Close() }
