package tunnel

import (
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Keepalive. Both ends answer WebSocket pings in their reader (gorilla's ping handler writes
// the pong at once), and each pings a peer it has not heard from:
//
//   - The dialing end (the agent) pings after KeepAliveInterval (30 s) of silence, from a
//     timer of its own, and gives up when a ping is not answered within WriteTimeout
//     (10 s): a dead hub is noticed within KeepAliveInterval + WriteTimeout (40 s).
//   - The accepting end (the hub) pings after 1.5 × KeepAliveInterval (45 s) of silence,
//     so a live agent, which pings every 30 s, is never pinged. All of an Upgrader's Conns
//     are checked by one goroutine (a sweeper, every KeepAliveInterval/8, at most 1 s): no
//     timer and no goroutine per agent. A dead agent is noticed after ReadTimeout (60 s)
//     of silence, as every Conn's reads fail then.
//
// An idle tunnel thus carries one ping and one pong per KeepAliveInterval, and the hub's
// share of it is one read and one write in the agent's receive loop: no yamux keepalive
// (whose answers go through yamux's send loop, a goroutine per answer) on either end.

// startTimer starts the dialing end's keepalive timer.
func (c *Conn) startTimer() {
	c.pingMu.Lock()
	c.pingT = time.AfterFunc(c.cfg.KeepAliveInterval, c.tick)
	c.pingMu.Unlock()
}

// tick runs when the dialing end's timer fires: it pings a peer silent for
// KeepAliveInterval, closes the Conn when its last ping went unanswered for WriteTimeout,
// and sets the timer for the next check.
func (c *Conn) tick() {
	c.pingMu.Lock()
	defer c.pingMu.Unlock()
	if c.stopped || c.closed.Load() {
		return
	}
	now := time.Now()
	heard, sent := c.lastHeard.Load(), c.pingSent.Load()
	if sent > heard { // the last ping is unanswered, and nothing else came either
		if wait := time.Duration(sent + int64(c.cfg.WriteTimeout) - now.UnixNano()); wait > 0 {
			c.pingT.Reset(wait)
			return
		}
		c.cfg.Logger.Warn("tunnel: no answer to a ping, closing connection",
			"remote", c.RemoteAddr().String(), "waited", c.cfg.WriteTimeout)
		c.failed.Store(true)
		_ = c.shutdown()
		return
	}
	if wait := time.Duration(heard + int64(c.cfg.KeepAliveInterval) - now.UnixNano()); wait > 0 {
		c.pingT.Reset(wait)
		return
	}
	if c.sendPing(now) {
		c.pingT.Reset(c.cfg.WriteTimeout)
	}
}

// sendPing writes a ping; one that cannot be written within WriteTimeout means the peer
// stopped reading, and the Conn is closed. pingMu must be held.
func (c *Conn) sendPing(now time.Time) bool {
	c.pingSent.Store(now.UnixNano()) // before the write: the pong may arrive before it returns
	err := c.ws.WriteControl(websocket.PingMessage, nil, now.Add(c.cfg.WriteTimeout))
	if err != nil {
		if !c.closed.Load() {
			c.cfg.Logger.Warn("tunnel: ping failed, closing connection", "remote", c.RemoteAddr().String(), "err", err)
			c.failed.Store(true)
			_ = c.shutdown()
		}
		return false
	}
	return true
}

// sweepPing is a ping the sweeper decided on, in a goroutine of its own (a write to a stuck
// peer may take WriteTimeout, which must not hold up the other agents' checks).
func (c *Conn) sweepPing() {
	defer c.pinging.Store(false)
	c.pingMu.Lock()
	defer c.pingMu.Unlock()
	if c.stopped || c.closed.Load() {
		return
	}
	c.sendPing(time.Now())
}

// stopKeepalive ends the Conn's keepalive, waiting for a ping being sent.
func (c *Conn) stopKeepalive() {
	c.pingMu.Lock()
	c.stopped = true
	if c.pingT != nil {
		c.pingT.Stop()
		c.pingT = nil
	}
	s := c.sweep
	c.pingMu.Unlock()
	if s != nil {
		s.remove(c)
	}
}

// sweeper checks the keepalive of all of an Upgrader's Conns from one goroutine, which
// runs only while it has Conns. A check of 10,000 Conns is 10,000 pairs of atomic loads;
// a Conn silent for `after` gets a ping.
type sweeper struct {
	every time.Duration // between checks
	after time.Duration // silence before a ping

	mu      sync.Mutex
	conns   map[*Conn]struct{}
	running bool // the goroutine runs
}

func newSweeper(cfg Config) *sweeper {
	return &sweeper{
		every: min(max(cfg.KeepAliveInterval/8, 5*time.Millisecond), time.Second),
		after: cfg.KeepAliveInterval * 3 / 2,
		conns: map[*Conn]struct{}{},
	}
}

// add puts c under the sweeper's keepalive.
func (s *sweeper) add(c *Conn) {
	c.pingMu.Lock()
	c.sweep = s
	c.pingMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[c] = struct{}{}
	if !s.running {
		s.running = true
		go s.run()
	}
}

func (s *sweeper) remove(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// len is the number of Conns under the sweeper.
func (s *sweeper) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *sweeper) run() {
	t := time.NewTicker(s.every)
	defer t.Stop()
	var due []*Conn
	for range t.C {
		now := time.Now().UnixNano()
		s.mu.Lock()
		if len(s.conns) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		for c := range s.conns {
			if now-max(c.lastHeard.Load(), c.pingSent.Load()) >= int64(s.after) && !c.closed.Load() && !c.pinging.Load() {
				due = append(due, c)
			}
		}
		s.mu.Unlock()
		for i, c := range due {
			c.pinging.Store(true)
			go c.sweepPing()
			due[i] = nil
		}
		due = due[:0]
	}
}
