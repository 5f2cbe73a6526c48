package tunnel

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestDeadPeerIsNoticed(t *testing.T) {
	t.Parallel() // mostly waiting on timers
	cfg := fastConfig()
	h := startHub(t, cfg, nil)
	relay := startFreezer(t, h.srv.Listener.Addr().String())
	agent := dial(t, DialConfig{URL: "ws://" + relay.addr() + "/agent/ws", Config: cfg})
	hubSess := h.next(t)
	serveEcho(hubSess)
	if err := echoOnce(agent, 1000, 1); err != nil {
		t.Fatalf("before freeze: %v", err)
	}

	s, err := agent.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 1))
		readErr <- err
	}()

	relay.frozen.Store(true)
	start := time.Now()
	limit := cfg.ReadTimeout + 500*time.Millisecond
	waitClosed(t, "agent", agent, limit)
	waitClosed(t, "hub", hubSess, limit)
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("in-flight stream Read succeeded on a dead tunnel")
		}
	case <-time.After(time.Second):
		t.Fatal("in-flight stream Read still blocked after the session closed")
	}
	t.Logf("dead peer noticed after %s (ReadTimeout %s)", time.Since(start), cfg.ReadTimeout)
}

func TestIdleTunnelStaysUp(t *testing.T) {
	t.Parallel() // mostly waiting on timers
	cfg := fastConfig()
	agent, hubSess := connectPair(t, cfg)
	serveEcho(hubSess)
	time.Sleep(2 * cfg.ReadTimeout) // only pings cross the tunnel meanwhile
	if agent.IsClosed() || hubSess.IsClosed() {
		t.Fatal("idle tunnel was closed although both peers answer pings")
	}
	if err := echoOnce(agent, 100, 2); err != nil {
		t.Fatal(err)
	}
}

func TestStreamWriteTimeoutClosesSession(t *testing.T) {
	cfg := fastConfig()
	agent, hubSess := connectPair(t, cfg)
	go func() { _, _ = hubSess.AcceptStream() }() // accepted, never read: the window fills
	s, err := agent.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	err = WriteStream(s, make([]byte, 4<<20), 100*time.Millisecond)
	if !errors.Is(err, ErrStreamWriteTimeout) {
		t.Fatalf("WriteStream returned %v, want ErrStreamWriteTimeout", err)
	}
	if !agent.IsClosed() {
		t.Fatal("agent session still open after a stream write timeout")
	}
	waitClosed(t, "hub", hubSess, 2*time.Second)
	if _, err := agent.OpenStream(); err == nil {
		t.Fatal("OpenStream succeeded on the closed session")
	}
}

func TestTimeoutWriterIsWriter(t *testing.T) {
	agent, hubSess := connectPair(t, Config{})
	done := make(chan string, 1)
	go func() {
		s, err := hubSess.AcceptStream()
		if err != nil {
			done <- ""
			return
		}
		b, _ := io.ReadAll(s)
		done <- string(b)
	}()
	s, err := agent.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(TimeoutWriter{Stream: s, Timeout: time.Second}, "abc"); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if got := <-done; got != "abc" {
		t.Fatalf("hub read %q", got)
	}
}

func TestConnSilentPeerTimesOut(t *testing.T) {
	t.Parallel() // mostly waiting on timers
	cfg := fastConfig()
	// Unanswered pings would close the Conn after WriteTimeout (TestAgentNoticesUnansweredPing);
	// here the read deadline alone is under test.
	cfg.WriteTimeout = time.Minute
	_, s := wsPair(t) // the client end never reads, so it never answers pings
	conn := NewConn(s, cfg)
	defer conn.Close()
	start := time.Now()
	_, err := conn.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read returned %v, want a timeout", err)
	}
	if d := time.Since(start); d > cfg.ReadTimeout+time.Second || d < cfg.ReadTimeout*15/16-50*time.Millisecond {
		t.Fatalf("timed out after %s, want about %s", d, cfg.ReadTimeout)
	}
}

func TestConnPongsKeepReadAlive(t *testing.T) {
	t.Parallel() // mostly waiting on timers
	cfg := fastConfig()
	c, s := wsPair(t)
	go func() { // a live peer: reading makes gorilla answer pings; it sends data late
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		time.Sleep(2 * cfg.ReadTimeout)
		_ = c.WriteMessage(websocket.BinaryMessage, []byte("late"))
	}()
	conn := NewConn(s, cfg)
	defer conn.Close()
	b := make([]byte, 4)
	if _, err := io.ReadFull(conn, b); err != nil || string(b) != "late" {
		t.Fatalf("read %q, %v", b, err)
	}
}

// TestConnPingsOnlyWhenSilent: a Conn whose peer keeps sending (as an agent's yamux
// keepalives do) sends no pings of its own; once the peer falls silent it pings again.
func TestConnPingsOnlyWhenSilent(t *testing.T) {
	t.Parallel() // mostly waiting on timers
	cfg := Config{KeepAliveInterval: 2 * time.Second, ReadTimeout: time.Minute}
	c, s := wsPair(t)
	pings := make(chan struct{}, 100)
	c.SetPingHandler(func(string) error { pings <- struct{}{}; return nil })
	go func() { // the peer's reader: gorilla runs the ping handler while reading
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	conn := NewConn(s, cfg)
	defer conn.Close()
	go func() { _, _ = io.Copy(io.Discard, conn) }()
	// 3 intervals of the peer talking every 50 ms: far below the interval, so no ping is due
	// even when this machine is slow to schedule the writer. The ticker is the simulated
	// peer's pace (what is under test is a talking peer), not a wait for an event.
	pace := time.NewTicker(50 * time.Millisecond)
	defer pace.Stop()
	for range 120 {
		if err := c.WriteMessage(websocket.BinaryMessage, []byte("x")); err != nil {
			t.Fatal(err)
		}
		<-pace.C
	}
	if n := len(pings); n > 0 {
		t.Errorf("%d pings sent to a peer heard from every 50 ms (interval %s)", n, cfg.KeepAliveInterval)
	}
	select { // silent now: a ping comes within about one interval
	case <-pings:
	case <-time.After(30 * time.Second):
		t.Fatal("no ping to a silent peer within 30 s (interval 2 s)")
	}
}
