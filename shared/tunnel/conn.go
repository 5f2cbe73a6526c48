package tunnel

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// ErrTextFrame is returned by Read when the peer sends a text message: the tunnel carries binary
// frames only (proxies may mangle or close on text that is not valid UTF-8).
var ErrTextFrame = errors.New("tunnel: peer sent a text WebSocket message; only binary messages are allowed")

// closeGrace bounds how long Close waits to send a close frame to a peer that is still healthy.
const closeGrace = time.Second

// Conn is a net.Conn over a WebSocket carrying binary messages. Read returns the bytes of the
// messages in order, across message boundaries; each Write call is sent as exactly one binary
// message. Conn also keeps the connection alive: it pings when nothing arrived from the peer for
// KeepAliveInterval, and fails Read when nothing at all (data, ping or pong) arrived for
// ReadTimeout.
type Conn struct {
	ws  *websocket.Conn
	cfg Config

	rmu     sync.Mutex // serialises readers
	r       io.Reader  // current message, nil between messages
	readErr error      // sticky: gorilla panics on repeated reads after an error
	dm      *DirectMux // the direct streams (direct.go); nil on a Conn without yamux

	wmu    sync.Mutex   // serialises writers; held per Write call and per sent message
	queue  frameQueue   // yamux frames waiting to be sent, see frame.go
	userWD atomic.Int64 // unix nanos of the SetWriteDeadline deadline, 0 for none

	dlMu       sync.Mutex
	userRD     time.Time    // deadline from SetReadDeadline
	lastExtend atomic.Int64 // unix nanos of the last liveness extension
	lastHeard  atomic.Int64 // unix nanos when something last arrived from the peer

	closeOnce sync.Once
	closed    atomic.Bool
	failed    atomic.Bool    // an I/O error happened: do not bother sending a close frame
	pinger    sync.WaitGroup // the frame sender goroutine, while one runs (frame.go)

	// Keepalive (keepalive.go): a Conn pings a silent peer, either from a timer of its own
	// (the agent's end) or from its Upgrader's sweeper, which checks all the hub's Conns from
	// one goroutine. Neither holds a goroutine per idle Conn.
	pingMu   sync.Mutex   // held while a ping is sent; guards pingT and stopped
	pingT    *time.Timer  // the agent's end: the keepalive timer; nil after Close
	sweep    *sweeper     // the hub's end: the sweeper this Conn is on; nil otherwise
	stopped  bool         // Close ran: no more pings
	pingSent atomic.Int64 // unix nanos of the last ping sent, 0 before the first
	pinging  atomic.Bool  // the sweeper started a ping of this Conn that has not ended
}

var _ net.Conn = (*Conn)(nil)

// NewConn takes ownership of ws and sets its keepalive timer (the dialing end's rules,
// keepalive.go). cfg's zero fields take their defaults.
func NewConn(ws *websocket.Conn, cfg Config) *Conn {
	c := newConn(ws, cfg)
	c.startTimer()
	return c
}

// newConn is NewConn without keepalive.
func newConn(ws *websocket.Conn, cfg Config) *Conn {
	c := &Conn{ws: ws, cfg: cfg.withDefaults()}
	c.queue.space.L = &c.queue.mu
	ws.SetReadLimit(c.cfg.readLimit())
	ws.SetPongHandler(func(string) error { c.alive(); return nil })
	// gorilla runs the ping handler in the reader (yamux's receive loop) and its default
	// writes the pong at once: answering a peer's keepalive wakes no other goroutine.
	pingReply := ws.PingHandler()
	ws.SetPingHandler(func(data string) error { c.alive(); return pingReply(data) })
	now := time.Now()
	c.lastHeard.Store(now.UnixNano())
	c.extend(now)
	return c
}

// Read reads from the current binary message, moving on to the next one at its end. On a
// yamux tunnel a message starting with DirectMarker is never yamux's (every build sends
// whole yamux frames per message, and a frame starts with version 0): once direct streams
// are on it is delivered to them (readDirect), and before that it is a protocol error.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for c.readErr == nil {
		got := 0
		if c.r == nil {
			if err := c.nextMessage(); err != nil {
				c.readErr = err
				break
			}
			if c.dm != nil {
				direct, err := c.peek(p)
				switch {
				case err != nil:
					c.readErr = err
					continue
				case direct && !c.dm.on.Load():
					c.readErr = c.directOff()
					continue
				case direct:
					if err := c.readDirect(); err != nil {
						c.readErr = err
					}
					c.r = nil
					continue
				case c.r == nil:
					continue // an empty message
				}
				got = 1
			}
		}
		n, err := c.r.Read(p[got:])
		n += got
		if n > 0 {
			c.alive()
		}
		switch {
		case err == io.EOF:
			c.r = nil
		case err != nil:
			c.readErr = c.readError(err)
		}
		if n > 0 {
			return n, nil
		}
	}
	if c.dm != nil {
		c.dm.fail(c.readErr)
	}
	return 0, c.readErr
}

// directOff fails the tunnel on a direct message that came while direct streams are off:
// the peer sent one before the hello that allows it, or never said it speaks them.
func (c *Conn) directOff() error {
	c.failed.Store(true)
	err := errors.New("tunnel: the peer sent a direct-stream message, but direct streams are off on this tunnel " +
		"(they need protocol capability 4 at both ends, said in the hello and at dial)")
	c.cfg.Logger.Warn("tunnel: closing the tunnel: protocol error", "remote", c.RemoteAddr().String(), "err", err)
	return err
}

// peek reads a new message's first byte into p[0] and reports whether it is a direct
// message. At the end of an empty message c.r is nil.
func (c *Conn) peek(p []byte) (bool, error) {
	for {
		n, err := c.r.Read(p[:1])
		if n == 1 {
			return p[0] == DirectMarker, nil
		}
		if err == io.EOF {
			c.r = nil
			return false, nil
		}
		if err != nil {
			return false, c.readError(err)
		}
	}
}

// readDirect reads the rest of a direct message and delivers its records, each payload
// copied once, into its stream's buffer. A malformed message closes the tunnel: the peer no
// longer speaks the protocol.
func (c *Conn) readDirect() error {
	err := readMessage(c.r, func(body []byte) error { return parseRecords(body, c.dm.deliver) })
	c.alive()
	switch {
	case errors.Is(err, errMalformed):
		c.failed.Store(true)
		c.cfg.Logger.Warn("tunnel: closing the tunnel: the peer sent a malformed direct message",
			"remote", c.RemoteAddr().String(), "err", err)
		return err
	case err != nil:
		return c.readError(err)
	}
	return nil
}

// nextMessage advances c.r to the next binary message.
func (c *Conn) nextMessage() error {
	typ, r, err := c.ws.NextReader()
	if err != nil {
		return c.readError(err)
	}
	c.alive()
	if typ != websocket.BinaryMessage {
		c.failed.Store(true)
		msg := websocket.FormatCloseMessage(websocket.CloseUnsupportedData, "binary messages only")
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.grace()))
		return ErrTextFrame
	}
	c.r = r
	return nil
}

// readError maps a gorilla read error to what a net.Conn user expects.
func (c *Conn) readError(err error) error {
	var ne net.Error
	switch {
	case c.closed.Load():
		return fmt.Errorf("tunnel: read: %w", net.ErrClosed)
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway):
		return io.EOF
	}
	c.failed.Store(true)
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("tunnel: read from %s timed out (nothing received within deadline, liveness limit %s): %w",
			c.RemoteAddr(), c.cfg.ReadTimeout, err)
	}
	return fmt.Errorf("tunnel: read: %w", err)
}

// Write sends p as one binary message.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.applyWriteDeadline()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, c.writeError(err)
	}
	return len(p), nil
}

// sendDirect writes b, a direct message, under the write lock with the Conn's write timeout.
func (c *Conn) sendDirect(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.sendMessage(b, time.Time{})
}

func (c *Conn) writeError(err error) error {
	if c.closed.Load() {
		return fmt.Errorf("tunnel: write: %w", net.ErrClosed)
	}
	c.failed.Store(true)
	return fmt.Errorf("tunnel: write: %w", err)
}

// Close sends the queued yamux frames and a close frame if the connection still looks
// healthy, then closes the socket, which unblocks any Read or Write in progress.
func (c *Conn) Close() error {
	err := c.shutdown()
	c.stopKeepalive()
	c.pinger.Wait()
	return err
}

// shutdown is Close without waiting for a ping or the sender, so ping itself may call it.
func (c *Conn) shutdown() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		if !c.failed.Load() {
			c.flushQueued(time.Now().Add(c.grace()))
		}
		c.closed.Store(true)
		if c.dm != nil {
			c.dm.fail(net.ErrClosed)
		}
		c.failQueue(fmt.Errorf("tunnel: write: %w", net.ErrClosed))
		if !c.failed.Load() {
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.grace()))
		}
		err = c.ws.Close()
	})
	if err != nil {
		return fmt.Errorf("tunnel: close: %w", err)
	}
	return nil
}

func (c *Conn) grace() time.Duration { return min(closeGrace, c.cfg.WriteTimeout) }

// alive records that something arrived from the peer. The read deadline is moved at most every
// ReadTimeout/16, so the effective silence limit lies between 15/16 and 16/16 of ReadTimeout and
// never above it.
func (c *Conn) alive() {
	now := time.Now()
	c.lastHeard.Store(now.UnixNano())
	if now.UnixNano()-c.lastExtend.Load() < int64(c.cfg.ReadTimeout/16) {
		return
	}
	c.extend(now)
}

func (c *Conn) extend(now time.Time) {
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	c.lastExtend.Store(now.UnixNano())
	_ = c.ws.SetReadDeadline(c.readDeadline())
}

// readDeadline is the earlier of the liveness deadline and the caller's; dlMu must be held.
func (c *Conn) readDeadline() time.Time {
	d := time.Unix(0, c.lastExtend.Load()).Add(c.cfg.ReadTimeout)
	if !c.userRD.IsZero() && c.userRD.Before(d) {
		return c.userRD
	}
	return d
}

// SetReadDeadline sets a read deadline; the liveness deadline still applies if it is earlier.
// As with gorilla, a Read that times out leaves the connection unusable.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	c.userRD = t
	if err := c.ws.SetReadDeadline(c.readDeadline()); err != nil {
		return fmt.Errorf("tunnel: set read deadline: %w", err)
	}
	return nil
}

// SetWriteDeadline sets the deadline for data writes, including one in progress. A timed-out
// write leaves the connection unusable.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	var n int64
	if !t.IsZero() {
		n = t.UnixNano()
	}
	c.userWD.Store(n)
	// gorilla re-applies its own copy per frame (set under wmu by applyWriteDeadline); setting the
	// socket too reaches a write that is already blocked.
	if err := c.ws.NetConn().SetWriteDeadline(t); err != nil {
		return fmt.Errorf("tunnel: set write deadline: %w", err)
	}
	return nil
}

// applyWriteDeadline hands the caller's write deadline to gorilla; wmu must be held.
func (c *Conn) applyWriteDeadline() {
	var t time.Time
	if n := c.userWD.Load(); n != 0 {
		t = time.Unix(0, n)
	}
	_ = c.ws.SetWriteDeadline(t)
}

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.ws.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr { return c.ws.RemoteAddr() }
