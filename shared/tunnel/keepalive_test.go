package tunnel

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// TestAgentNoticesUnansweredPing: the dialing end pings a silent peer and, when the ping
// goes unanswered for WriteTimeout, closes the Conn — long before ReadTimeout (10 min
// here), so a dead hub is noticed within KeepAliveInterval + WriteTimeout.
func TestAgentNoticesUnansweredPing(t *testing.T) {
	t.Parallel() // mostly waiting on timers
	cfg := Config{KeepAliveInterval: 100 * time.Millisecond, WriteTimeout: 300 * time.Millisecond, ReadTimeout: 10 * time.Minute}
	peer, s := wsPair(t)
	var pings atomic.Int32
	peer.SetPingHandler(func(string) error { pings.Add(1); return nil }) // reads, never answers
	go func() {
		for {
			if _, _, err := peer.ReadMessage(); err != nil {
				return
			}
		}
	}()
	conn := NewConn(s, cfg)
	defer conn.Close()
	done := make(chan error, 1)
	go func() { _, err := conn.Read(make([]byte, 1)); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read returned %v, want the Conn closed", err)
		}
	case <-time.After(2 * time.Minute): // generous for a busy machine; ReadTimeout is 10 min
		t.Fatal("a peer that never answers pings was not noticed")
	}
	if pings.Load() == 0 {
		t.Fatal("closed without having pinged")
	}
}

// TestAgentPingAnsweredStaysUp: the same, with a peer that answers: the Conn stays up
// through many intervals, and pings keep flowing.
func TestAgentPingAnsweredStaysUp(t *testing.T) {
	t.Parallel() // mostly waiting on timers
	cfg := Config{KeepAliveInterval: 50 * time.Millisecond, WriteTimeout: 5 * time.Second, ReadTimeout: 10 * time.Minute}
	peer, s := wsPair(t)
	var pings atomic.Int32
	reply := peer.PingHandler()
	peer.SetPingHandler(func(d string) error { pings.Add(1); return reply(d) })
	go func() {
		for {
			if _, _, err := peer.ReadMessage(); err != nil {
				return
			}
		}
	}()
	conn := NewConn(s, cfg)
	defer conn.Close()
	go func() { _, _ = conn.Read(make([]byte, 1)) }() // a reader sees the pongs (yamux's receive loop)
	if !waitfor.Poll(time.Minute, func() bool { return pings.Load() >= 10 }) {
		t.Fatalf("%d pings within a minute (interval 50 ms)", pings.Load())
	}
	if conn.closed.Load() {
		t.Fatal("a Conn whose pings are answered was closed")
	}
}

// rawAgent dials the hub's tunnel endpoint with a bare WebSocket (no yamux, so it sends
// nothing unless told) and counts the pings it gets; answer says whether it answers them.
func rawAgent(t *testing.T, url string, answer bool) (*websocket.Conn, *atomic.Int32) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	var pings atomic.Int32
	reply := ws.PingHandler()
	ws.SetPingHandler(func(d string) error {
		pings.Add(1)
		if answer {
			return reply(d)
		}
		return nil
	})
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	return ws, &pings
}

// TestHubPingsOnlySilentAgents: the hub's sweeper pings an agent it has not heard from for
// 1.5 × KeepAliveInterval, and never one that pings it every interval (as agents do).
func TestHubPingsOnlySilentAgents(t *testing.T) {
	t.Parallel() // mostly waiting on timers
	cfg := Config{KeepAliveInterval: 200 * time.Millisecond, ReadTimeout: 10 * time.Minute}
	h := startHub(t, cfg, nil)
	silent, silentPings := rawAgent(t, h.url(), true)
	_ = silent
	h.next(t)
	talker, talkerPings := rawAgent(t, h.url(), true)
	h.next(t)
	var talkerErr atomic.Value
	stop := make(chan struct{})
	defer close(stop)
	go func() { // pings the hub far more often than the hub's 300 ms
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				if err := talker.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
					talkerErr.Store(err)
					return
				}
			}
		}
	}()
	if !waitfor.Poll(time.Minute, func() bool { return silentPings.Load() >= 3 }) {
		t.Fatalf("the silent agent got %d pings within a minute (hub pings after 300 ms)", silentPings.Load())
	}
	if err := talkerErr.Load(); err != nil {
		t.Fatalf("the talking agent's pings failed: %v", err)
	}
	if n := talkerPings.Load(); n != 0 {
		t.Errorf("the hub pinged an agent it heard from every 20 ms %d times", n)
	}
}

// TestHubClosesSilentAgent: an agent that neither sends nor answers is closed by the hub
// after ReadTimeout, and the sweeper lets go of its Conn.
func TestHubClosesSilentAgent(t *testing.T) {
	t.Parallel() // mostly waiting on timers
	cfg := Config{KeepAliveInterval: 100 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second}
	up := NewUpgrader(cfg)
	sessions := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := up.Accept(w, r)
		if err != nil {
			sessions <- err
			return
		}
		<-sess.CloseChan()
		sessions <- nil
	}))
	t.Cleanup(srv.Close)
	_, pings := rawAgent(t, "ws"+strings.TrimPrefix(srv.URL, "http")+"/agent/ws", false)
	select {
	case err := <-sessions:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the hub kept a silent agent's tunnel (ReadTimeout 1 s)")
	}
	if pings.Load() == 0 {
		t.Error("the hub closed the silent agent without pinging it first")
	}
	if !waitfor.Poll(30*time.Second, func() bool { return up.sweep.len() == 0 }) {
		t.Errorf("the sweeper still holds %d Conns after the tunnel ended", up.sweep.len())
	}
}
