package connlimit

import (
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// lingerFor bounds how long a refused connection is kept to deliver its 503.
const lingerFor = 2 * time.Second

// refuse closes a connection no cap has room for, after a 503 when RefuseHTTP is set.
func (l *Limiter) refuse(nc net.Conn, reason string) {
	n, limit, what := &l.refusedTotal, l.cfg.Max, "the hub has too many open connections"
	if reason == ReasonAddress {
		n, limit, what = &l.refusedAddr, l.cfg.PerAddress, "the hub has too many open connections from your address"
	}
	n.Add(1)
	if l.logRefused.ok() {
		l.cfg.Log.Warn("connection refused: cap reached and no quiet connection to close", "cap", reason,
			"limit", limit, "remote", remoteIP(nc))
	}
	if !l.cfg.RefuseHTTP {
		_ = nc.Close()
		return
	}
	body := what + " (limit " + strconv.Itoa(limit) + "); retry later\n"
	resp := "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n" +
		"Retry-After: 1\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	l.linger.do(nc, []byte(resp))
}

// lingerer answers refused connections: it writes the response, half-closes, and reads
// what the client sent until it closes too (or lingerFor passes), so that the client
// reads the 503 instead of a reset. At most max at once; beyond that, a plain close.
type lingerer struct {
	max   int
	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func (g *lingerer) do(nc net.Conn, resp []byte) {
	g.mu.Lock()
	if g.conns == nil || len(g.conns) >= g.max {
		g.mu.Unlock()
		_ = nc.Close()
		return
	}
	g.conns[nc] = true
	g.wg.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.wg.Done()
		_ = nc.SetDeadline(time.Now().Add(lingerFor))
		if _, err := nc.Write(resp); err == nil {
			if tcp, ok := nc.(*net.TCPConn); ok {
				_ = tcp.CloseWrite()
			}
			_, _ = io.CopyN(io.Discard, nc, 64<<10)
		}
		g.mu.Lock()
		delete(g.conns, nc)
		g.mu.Unlock()
		_ = nc.Close()
	}()
}

// closeAll ends every lingering connection and waits for their goroutines.
func (g *lingerer) closeAll() {
	g.mu.Lock()
	for nc := range g.conns {
		_ = nc.SetDeadline(time.Now())
	}
	g.conns = nil // no new ones
	g.mu.Unlock()
	g.wg.Wait()
}

// throttle lets a log line through at most once a minute, so that a flood does not flood
// the log too; the counters keep the totals.
type throttle struct{ last atomic.Int64 }

func (t *throttle) ok() bool {
	now := time.Now().UnixNano()
	last := t.last.Load()
	return now-last >= int64(time.Minute) && t.last.CompareAndSwap(last, now)
}
