// Package tunnel carries hashicorp/yamux sessions over one binary WebSocket per agent: a net.Conn
// adapter, the agent's Dial (yamux client), the hub's Upgrader (yamux server) and the liveness
// rules that make a dead peer visible within ReadTimeout.
package tunnel

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hashicorp/yamux"
)

// Defaults used for zero fields of Config.
const (
	DefaultKeepAliveInterval   = 30 * time.Second
	DefaultReadTimeout         = 60 * time.Second
	DefaultWriteTimeout        = 10 * time.Second
	DefaultMaxStreamWindowSize = 512 << 10
	DefaultAcceptBacklog       = 256
)

// yamuxHeaderSize is the fixed size of a yamux frame header (version, type, flags, stream id,
// length). See yamux's spec.md.
const yamuxHeaderSize = 12

// minStreamWindow is yamux's initial (and minimum allowed maximum) stream window.
const minStreamWindow = 256 << 10

// Config holds the tuning shared by both ends of a tunnel. The zero value is ready to use; tests
// shrink the durations.
type Config struct {
	// KeepAliveInterval is how long the dialing end (the agent) waits without hearing from
	// its peer before it sends a WebSocket ping; the accepting end (the hub) waits 1.5 times
	// as long, so it never pings a live agent (keepalive.go). An idle tunnel carries one ping
	// and one pong per interval. Default 30 s.
	KeepAliveInterval time.Duration

	// ReadTimeout is how long the connection may stay silent (no frame, no pong) before it is
	// declared dead and closed. Every received frame extends it. Default 60 s.
	ReadTimeout time.Duration

	// WriteTimeout bounds a ping, a close frame, and (as yamux's ConnectionWriteTimeout) how long
	// a queued yamux frame and a keepalive answer may take. Default 10 s.
	WriteTimeout time.Duration

	// MaxStreamWindowSize is the yamux receive window per stream, in bytes: the most data a peer
	// may send on one stream before it is read, so it also caps one stream's throughput at
	// window/RTT (512 KiB at 50 ms: about 10 MB/s). Minimum and yamux default 256 KiB. Default
	// 512 KiB: on loopback it beat 256 KiB, 1 MiB and 2 MiB for bulk throughput
	// (docs/BENCHMARKS.md).
	MaxStreamWindowSize uint32

	// AcceptBacklog is how many streams the peer may open before they are accepted; more are
	// refused. Each session holds a channel of this many pointers. Default 256; the hub, which
	// accepts only the agent's control stream, uses a small one.
	AcceptBacklog int

	// Logger receives yamux's internal messages and liveness failures. Nil discards them.
	Logger *slog.Logger
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.KeepAliveInterval <= 0 {
		c.KeepAliveInterval = DefaultKeepAliveInterval
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.AcceptBacklog <= 0 {
		c.AcceptBacklog = DefaultAcceptBacklog
	}
	if c.MaxStreamWindowSize == 0 {
		c.MaxStreamWindowSize = DefaultMaxStreamWindowSize
	}
	c.MaxStreamWindowSize = max(c.MaxStreamWindowSize, minStreamWindow)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// minReadLimit is the smallest WebSocket read limit, leaving room for Conn.Write messages of
// 1 MiB when the Conn is used without yamux.
const minReadLimit = 1 << 20

// readLimit is the largest WebSocket message accepted. A yamux data frame never exceeds the
// window this side grants, so window + 12-byte header suffices for yamux; at least 1 MiB + 12.
func (c Config) readLimit() int64 {
	return int64(max(c.MaxStreamWindowSize, minReadLimit)) + yamuxHeaderSize
}

// yamuxConfig maps c (already defaulted) onto yamux's configuration.
func (c Config) yamuxConfig() *yamux.Config {
	return &yamux.Config{
		AcceptBacklog:          c.AcceptBacklog,
		EnableKeepAlive:        true,
		KeepAliveInterval:      c.KeepAliveInterval,
		ConnectionWriteTimeout: c.WriteTimeout,
		MaxStreamWindowSize:    c.MaxStreamWindowSize,
		StreamOpenTimeout:      75 * time.Second,
		StreamCloseTimeout:     5 * time.Minute,
		Logger:                 yamuxLogger{log: c.Logger},
	}
}

// Session is a tunnel: the yamux session, which carries the control stream (and every
// stream with a peer older than capability 4), and the direct streams beside it.
type Session struct {
	*yamux.Session
	direct *DirectMux
}

// Direct returns the tunnel's direct streams (off until enabled).
func (s *Session) Direct() *DirectMux { return s.direct }

// newSession wraps an open WebSocket in a Conn and starts a yamux session on it, with the
// direct streams beside it (opened by the accepting end, the hub).
func newSession(c *Conn, client bool) (*Session, error) {
	var (
		sess *yamux.Session
		err  error
	)
	c.dm = newDirectMux(c, !client)
	ycfg := c.cfg.yamuxConfig()
	// Neither end runs yamux's keepalive: its answers go through yamux's send loop (a
	// goroutine per answer, then the send loop's wake-up), and liveness is the Conn's
	// (keepalive.go). A hub still answers the yamux pings of agents from before.
	ycfg.EnableKeepAlive = false
	fc := frameConn{c}
	if client {
		sess, err = yamux.Client(fc, ycfg)
	} else {
		sess, err = yamux.Server(fc, ycfg)
	}
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("tunnel: start yamux session: %w", err)
	}
	return &Session{Session: sess, direct: c.dm}, nil
}

// yamuxLogger forwards yamux's printf-style log lines to slog. yamux tags lines "[ERR]" or
// "[WARN]"; those become Warn and Info, anything else Debug.
type yamuxLogger struct{ log *slog.Logger }

func (l yamuxLogger) Print(v ...any)                 { l.emit(fmt.Sprint(v...)) }
func (l yamuxLogger) Printf(format string, v ...any) { l.emit(fmt.Sprintf(format, v...)) }
func (l yamuxLogger) Println(v ...any)               { l.emit(strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }

func (l yamuxLogger) emit(msg string) {
	level := slog.LevelDebug
	switch {
	case strings.HasPrefix(msg, "[ERR]"):
		level = slog.LevelWarn
	case strings.HasPrefix(msg, "[WARN]"):
		level = slog.LevelInfo
	}
	l.log.Log(context.Background(), level, msg)
}
