// Package connlimit caps the open connections of a listener, overall and per client
// address; at a cap it closes the oldest quiet connection (idle keep-alive, or new and
// silent) to make room, and refuses the new one only when none is quiet.
package connlimit

import (
	"container/list"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// Config are a Limiter's settings. A cap of 0 is no cap.
type Config struct {
	// Max caps the open connections overall.
	Max int
	// PerAddress caps the open connections from one remote IP address.
	PerAddress int
	// RefuseHTTP answers a refused connection with a plain HTTP/1.1 503 before closing it.
	// Leave it off for a TLS listener: there the bytes would be garbage to the client.
	RefuseHTTP bool
	// Log receives refusals and evictions, at most once a minute per kind.
	Log *slog.Logger
}

// Reasons a connection is refused or evicted, the label of their counters.
const (
	ReasonTotal   = "total"   // the overall cap
	ReasonAddress = "address" // the per-address cap
)

// Stats are the limiter's counters since start.
type Stats struct {
	Open         int64            // connections open now
	Quiet        int64            // of those, new and silent or idle between requests
	Refused      map[string]int64 // new connections refused, by reason
	Evicted      map[string]int64 // quiet connections closed to make room, by reason
	AcceptErrors int64            // errors of the wrapped listener's Accept
}

// Limiter tracks the connections of the listeners it wraps. Install its ConnState as the
// http.Server's ConnState hook so it knows which connections are quiet.
type Limiter struct {
	cfg Config

	mu    sync.Mutex
	open  int
	quiet int
	addrs map[string]*address

	refusedTotal, refusedAddr, evictedTotal, evictedAddr, acceptErrs atomic.Int64
	logRefused, logEvicted                                           throttle
	linger                                                           lingerer
}

// address is the connections of one remote IP.
type address struct {
	n     int
	quiet list.List // of *conn, oldest quiet first
}

// New returns a limiter.
func New(cfg Config) *Limiter {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Limiter{cfg: cfg, addrs: map[string]*address{}, linger: lingerer{max: 64, conns: map[net.Conn]bool{}}}
}

// Listen wraps ln: its Accept admits connections within the caps.
func (l *Limiter) Listen(ln net.Listener) net.Listener { return &listener{Listener: ln, l: l} }

// Stats returns the counters.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	open, quiet := l.open, l.quiet
	l.mu.Unlock()
	return Stats{
		Open:         int64(open),
		Quiet:        int64(quiet),
		Refused:      map[string]int64{ReasonTotal: l.refusedTotal.Load(), ReasonAddress: l.refusedAddr.Load()},
		Evicted:      map[string]int64{ReasonTotal: l.evictedTotal.Load(), ReasonAddress: l.evictedAddr.Load()},
		AcceptErrors: l.acceptErrs.Load(),
	}
}

// ConnState follows the connections' HTTP states: new and idle connections are quiet and
// may be evicted; active and hijacked ones (an agent's WebSocket, a stream) are not.
func (l *Limiter) ConnState(nc net.Conn, st http.ConnState) {
	c := unwrap(nc)
	if c == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.released {
		return
	}
	switch st {
	case http.StateNew, http.StateIdle:
		c.setQuiet(true)
	case http.StateActive, http.StateHijacked:
		c.setQuiet(false)
	}
}

// unwrap finds the limiter's connection under a TLS connection.
func unwrap(nc net.Conn) *conn {
	for {
		if c, ok := nc.(*conn); ok {
			return c
		}
		u, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		nc = u.NetConn()
	}
}

// admit registers nc, first evicting a quiet connection if a cap is reached. It returns
// nil, having refused nc, when no connection can make room.
func (l *Limiter) admit(nc net.Conn) *conn {
	ip := remoteIP(nc)
	l.mu.Lock()
	a := l.addressLocked(ip)
	var victim *conn
	reason := ""
	switch {
	case l.cfg.PerAddress > 0 && a.n >= l.cfg.PerAddress:
		reason, victim = ReasonAddress, oldestQuiet(a)
	case l.cfg.Max > 0 && l.open >= l.cfg.Max:
		reason, victim = ReasonTotal, l.heaviestQuiet()
	}
	if reason != "" && victim == nil {
		if a.n == 0 {
			delete(l.addrs, ip)
		}
		l.mu.Unlock()
		l.refuse(nc, reason)
		return nil
	}
	if victim != nil {
		l.releaseLocked(victim)
		a = l.addressLocked(ip) // the victim may have been the address's last
	}
	c := &conn{Conn: nc, l: l, ip: ip, addr: a}
	l.open++
	a.n++
	c.setQuiet(true)
	l.mu.Unlock()
	if victim != nil {
		l.evicted(victim, reason)
	}
	return c
}

// addressLocked finds or makes the record of ip. l.mu is held.
func (l *Limiter) addressLocked(ip string) *address {
	a := l.addrs[ip]
	if a == nil {
		a = &address{}
		l.addrs[ip] = a
	}
	return a
}

func oldestQuiet(a *address) *conn {
	if e := a.quiet.Front(); e != nil {
		return e.Value.(*conn)
	}
	return nil
}

// heaviestQuiet picks, at the overall cap, the oldest quiet connection of the address
// holding the most connections: a flood pays for itself before anyone else does. It
// scans the addresses, which happens only at the cap.
func (l *Limiter) heaviestQuiet() *conn {
	var best *address
	for _, a := range l.addrs {
		if a.quiet.Len() > 0 && (best == nil || a.n > best.n) {
			best = a
		}
	}
	if best == nil {
		return nil
	}
	return oldestQuiet(best)
}

// releaseLocked forgets c; its later Close changes nothing.
func (l *Limiter) releaseLocked(c *conn) {
	if c.released {
		return
	}
	c.setQuiet(false)
	c.released = true
	l.open--
	c.addr.n--
	if c.addr.n == 0 {
		delete(l.addrs, c.ip)
	}
}

func (l *Limiter) evicted(c *conn, reason string) {
	_ = c.Conn.Close()
	n := &l.evictedTotal
	if reason == ReasonAddress {
		n = &l.evictedAddr
	}
	n.Add(1)
	if l.logEvicted.ok() {
		l.cfg.Log.Warn("connection cap reached: closed a quiet connection to make room", "cap", reason, "remote", c.ip,
			"max", l.cfg.Max, "per_address", l.cfg.PerAddress)
	}
}

func remoteIP(nc net.Conn) string {
	addr := nc.RemoteAddr()
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	if addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}

// listener admits each accepted connection through its limiter.
type listener struct {
	net.Listener
	l *Limiter
}

// Accept returns the next admitted connection; refused ones never reach the server.
func (ln *listener) Accept() (net.Conn, error) {
	for {
		nc, err := ln.Listener.Accept()
		if err != nil {
			ln.l.acceptErrs.Add(1) // http.Server logs it and backs off when it is temporary
			return nil, err
		}
		if c := ln.l.admit(nc); c != nil {
			return c, nil
		}
	}
}

// Close stops accepting and ends the refusals still being answered.
func (ln *listener) Close() error {
	err := ln.Listener.Close()
	ln.l.linger.closeAll()
	return err
}

// conn is one admitted connection.
type conn struct {
	net.Conn
	l    *Limiter
	ip   string
	addr *address

	// Guarded by l.mu.
	released bool
	elem     *list.Element // in addr.quiet while quiet
}

// setQuiet moves c to the back of its address's quiet list, or out of it. l.mu is held.
func (c *conn) setQuiet(quiet bool) {
	if c.elem != nil {
		c.addr.quiet.Remove(c.elem)
		c.elem = nil
		c.l.quiet--
	}
	if quiet {
		c.elem = c.addr.quiet.PushBack(c)
		c.l.quiet++
	}
}

// Close closes the connection and frees its place.
func (c *conn) Close() error {
	c.l.mu.Lock()
	c.l.releaseLocked(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}
