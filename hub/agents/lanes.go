package agents

import (
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// Lanes (protocol capability 3): a call stream that ended cleanly carries the agent's next
// call instead of being closed, so a call costs one tunnel frame each way (its Call and its
// Result) instead of three (the stream's opening, the frame, its close). The hub alone
// decides: it keeps a stream only after a clean Result (no cancel, no error) and closes any
// other, and an agent never closes a lane on its own while the
// session lasts.

const (
	// maxIdleLanes bounds the idle lanes kept per agent: the calls in flight at the busiest
	// moment, up to this many, find a lane waiting; beyond it streams are opened and closed.
	maxIdleLanes = 64
	// laneIdle is how long an idle lane is kept. Each one holds a goroutine on the agent
	// and a stream (direct, or yamux with an agent older than capability 4) on both sides.
	laneIdle = time.Minute
)

// lane is a call stream with its writer.
type lane struct {
	st   tunnel.Stream
	w    *protocol.FrameWriter
	used time.Time // when it went idle
}

// lanes is the stack of an agent's idle lanes, most recently used on top.
type lanes struct {
	mu   sync.Mutex
	idle []*lane
}

// take returns an idle lane, or nil when there is none (the caller opens a stream).
func (l *lanes) take(now time.Time) *lane {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.trim(now)
	n := len(l.idle)
	if n == 0 {
		return nil
	}
	ln := l.idle[n-1]
	l.idle[n-1] = nil
	l.idle = l.idle[:n-1]
	return ln
}

// put keeps ln for a later call, or closes it when enough are idle.
func (l *lanes) put(ln *lane, now time.Time) {
	ln.used = now
	l.mu.Lock()
	l.trim(now)
	if len(l.idle) < maxIdleLanes {
		l.idle = append(l.idle, ln)
		ln = nil
	}
	l.mu.Unlock()
	if ln != nil {
		_ = ln.st.Close()
	}
}

// trim closes the lanes idle for longer than laneIdle: the oldest are at the bottom. l.mu
// is held.
func (l *lanes) trim(now time.Time) {
	i := 0
	for i < len(l.idle) && now.Sub(l.idle[i].used) > laneIdle {
		_ = l.idle[i].st.Close()
		l.idle[i] = nil
		i++
	}
	if i > 0 {
		l.idle = append(l.idle[:0], l.idle[i:]...)
	}
}

// count is the number of idle lanes.
func (l *lanes) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.idle)
}
