package tunnel

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The hub's WebSocket buffers. The write buffers come from a pool shared by all agents and
// are held only while a message is written. The read buffer is held by every agent for as
// long as it is connected, so it is small: it takes a frame's header and a small message in
// one read, while the bodies of larger messages, read in yamux's 4 KiB pieces or more, bypass
// it. 16 KiB was ≈ 13 % faster on bulk transfers but cost 15 KiB more per idle agent
// (docs/BENCHMARKS.md, issue 11).
const (
	hubReadBufferSize  = 1 << 10
	hubWriteBufferSize = 64 << 10
)

// Upgrader accepts agent tunnels on the hub. One Upgrader serves all agents so that they share
// its write-buffer pool; an idle agent then holds no write buffer at all. Safe for concurrent use.
type Upgrader struct {
	cfg   Config
	up    websocket.Upgrader
	sweep *sweeper // the keepalive of all its Conns (keepalive.go)
}

// NewUpgrader returns an Upgrader whose sessions use cfg (zero fields take their defaults).
func NewUpgrader(cfg Config) *Upgrader {
	u := &Upgrader{cfg: cfg.withDefaults()}
	u.sweep = newSweeper(u.cfg)
	u.up = websocket.Upgrader{
		HandshakeTimeout:  10 * time.Second,
		ReadBufferSize:    hubReadBufferSize,
		WriteBufferSize:   hubWriteBufferSize,
		WriteBufferPool:   &sync.Pool{},
		EnableCompression: false,
		CheckOrigin:       noBrowserOrigin,
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			http.Error(w, reason.Error(), status)
		},
	}
	return u
}

// noBrowserOrigin admits only requests without an Origin header. Agents send none; a browser
// always does, and must not be able to open a tunnel with a user's cookies or credentials.
func noBrowserOrigin(r *http.Request) bool {
	return r.Header.Get("Origin") == ""
}

// Accept upgrades the request to a WebSocket and starts the hub's yamux session (the yamux
// server). Authenticate the request before calling it. On failure an HTTP error has already
// been written to w. Its direct streams are off until the agent's hello says it speaks them
// (Session.Direct().Enable()).
func (u *Upgrader) Accept(w http.ResponseWriter, r *http.Request) (*Session, error) {
	ws, err := u.up.Upgrade(w, r, nil)
	if err != nil {
		return nil, fmt.Errorf("tunnel: upgrade from %s: %w", r.RemoteAddr, err)
	}
	c := newConn(ws, u.cfg)
	u.sweep.add(c)
	return newSession(c, false)
}
