package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
)

// Server answers the control socket's clients.
type Server struct {
	Tracker *status.Tracker
	// Reconnect makes the agent connect now; nil answers an error.
	Reconnect func()
	// CheckUpdate looks for a newer release and describes what it found; nil answers an error.
	CheckUpdate func(ctx context.Context) (string, error)
	Logger      *slog.Logger
	// Interval is the shortest time between two messages of a subscription (default
	// 100 ms): a burst of changes becomes one snapshot.
	Interval time.Duration
	// WriteTimeout drops a client that does not read for this long (default 5 s).
	WriteTimeout time.Duration
	// MaxClients bounds the connections served at once (default 16).
	MaxClients int

	uid int // the only user allowed to connect; set by defaults to the agent's own
}

func (s *Server) defaults() {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Interval <= 0 {
		s.Interval = 100 * time.Millisecond
	}
	if s.WriteTimeout <= 0 {
		s.WriteTimeout = 5 * time.Second
	}
	if s.MaxClients <= 0 {
		s.MaxClients = 16
	}
	if s.uid == 0 { // not set (an agent run by root serves root, which is the same)
		s.uid = os.Getuid()
	}
}

// allowed checks who is at the other end: the socket's 0600 mode already keeps other users
// out where the kernel enforces it; the peer's uid is checked too, for systems that do not.
func (s *Server) allowed(conn net.Conn) error {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return nil
	}
	uid, err := peerUID(uc)
	switch {
	case errors.Is(err, errNoPeerCred):
		return nil
	case err != nil:
		return fmt.Errorf("cannot tell who connected: %w", err)
	case uid != s.uid:
		return fmt.Errorf("user %d may not use the control socket of user %d's agent", uid, s.uid)
	}
	return nil
}

// Serve accepts clients on ln until ctx ends, then closes ln and waits for the clients'
// goroutines. It returns nil after ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.defaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { <-ctx.Done(); _ = ln.Close() })
	slots := make(chan struct{}, s.MaxClients)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("control socket: accept: %w", err)
		}
		if err := s.allowed(conn); err != nil {
			s.Logger.Warn("control socket: connection refused", "err", err)
			s.reply(conn, Message{Type: TypeError, Error: err.Error()})
			_ = conn.Close()
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			s.reply(conn, Message{Type: TypeError, Error: "too many dashboard connections"})
			_ = conn.Close()
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			s.serveConn(ctx, conn)
		})
	}
}

func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer conn.Close()
	context.AfterFunc(ctx, func() { _ = conn.Close() })
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 0, 4096), MaxRequestLine)
	for sc.Scan() {
		req, err := ParseRequest(sc.Bytes())
		if err != nil {
			if !s.reply(conn, Message{Type: TypeError, Error: err.Error()}) {
				return
			}
			continue
		}
		if req.Op == OpSubscribe {
			s.subscribe(ctx, conn, sc)
			return
		}
		if !s.reply(conn, s.answer(ctx, req)) {
			return
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		s.reply(conn, Message{Type: TypeError, Error: fmt.Sprintf("request line longer than %d bytes", MaxRequestLine)})
	}
}

func (s *Server) answer(ctx context.Context, req Request) Message {
	switch req.Op {
	case OpSnapshot:
		snap := s.Tracker.Snapshot()
		return Message{Type: TypeSnapshot, Snapshot: &snap}
	case OpReconnect:
		if s.Reconnect == nil {
			return Message{Type: TypeError, Error: "this agent cannot reconnect on request"}
		}
		s.Reconnect()
		s.Logger.Info("reconnect asked for through the control socket")
		return Message{Type: TypeOK, Message: "reconnecting now"}
	case OpCheckUpdate:
		if s.CheckUpdate == nil {
			return Message{Type: TypeError, Error: "update checks are not available in this build"}
		}
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		text, err := s.CheckUpdate(ctx)
		if err != nil {
			return Message{Type: TypeError, Error: "update check failed: " + err.Error()}
		}
		return Message{Type: TypeOK, Message: text}
	}
	return Message{Type: TypeError, Error: fmt.Sprintf("unknown op %q", req.Op)}
}

// subscribe streams the state: a snapshot and the kept log lines first, then, at most every
// Interval, a snapshot if anything but logs changed and the new log lines. It ends when the
// client closes, stops reading, or ctx ends.
func (s *Server) subscribe(ctx context.Context, conn net.Conn, sc *bufio.Scanner) {
	sub := s.Tracker.Subscribe(0)
	defer sub.Close()
	go func() { // the client has nothing more to say; its end closes the connection
		for sc.Scan() {
		}
		_ = conn.Close()
	}()
	st := &stream{s: s, conn: conn}
	if !st.send(true) {
		return
	}
	tick := time.NewTicker(s.Interval)
	defer tick.Stop()
	snapDirty, logDirty := false, false
	var dropped uint64
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.C():
			if !ok {
				return
			}
			if e.Kind == status.KindLog {
				logDirty = true
			} else {
				snapDirty = true
			}
		case <-tick.C:
			if d := sub.Dropped(); d != dropped { // lost events: whatever they were, resend all
				dropped, snapDirty, logDirty = d, true, true
			}
			if snapDirty || logDirty {
				if !st.send(snapDirty) {
					return
				}
				snapDirty, logDirty = false, false
			}
		}
	}
}

// stream is one subscriber's position in the log.
type stream struct {
	s    *Server
	conn net.Conn
	seq  uint64 // last log line sent
}

// send writes a snapshot (when asked) and the log lines not sent yet.
func (st *stream) send(snap bool) bool {
	if snap {
		sn := st.s.Tracker.Snapshot()
		if !st.s.reply(st.conn, Message{Type: TypeSnapshot, Snapshot: &sn}) {
			return false
		}
	}
	for _, l := range st.s.Tracker.LogsSince(st.seq) {
		st.seq = l.Seq
		if !st.s.reply(st.conn, Message{Type: TypeLog, Log: &l}) {
			return false
		}
	}
	return true
}

// reply writes one message line; false means the client is gone or too slow.
func (s *Server) reply(conn net.Conn, m Message) bool {
	b, err := json.Marshal(m)
	if err != nil {
		s.Logger.Warn("control socket: cannot encode a message", "err", err)
		return false
	}
	_ = conn.SetWriteDeadline(time.Now().Add(s.WriteTimeout))
	_, err = conn.Write(append(b, '\n'))
	return err == nil
}
