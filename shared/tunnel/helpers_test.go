package tunnel

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/yamux"
)

// fastConfig shrinks liveness so dead peers are noticed in well under a second, with enough
// margin over scheduling delays on a loaded 2-core machine.
func fastConfig() Config {
	return Config{KeepAliveInterval: 50 * time.Millisecond, ReadTimeout: 600 * time.Millisecond, WriteTimeout: 300 * time.Millisecond}
}

// hub is a test hub: an httptest server whose handler accepts tunnels into sessions.
type hub struct {
	srv      *httptest.Server
	sessions chan *Session
}

// startHub starts a hub on 127.0.0.1 whose tunnels use cfg. auth, if non-nil, may refuse a
// request by writing an error and returning false.
func startHub(t testing.TB, cfg Config, auth func(http.ResponseWriter, *http.Request) bool) *hub {
	t.Helper()
	h := &hub{sessions: make(chan *Session, 16)}
	up := NewUpgrader(cfg)
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth != nil && !auth(w, r) {
			return
		}
		sess, err := up.Accept(w, r)
		if err != nil {
			return
		}
		h.sessions <- sess
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hub) url() string { return "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/agent/ws" }

// next returns the next accepted hub session, closed at test end.
func (h *hub) next(t testing.TB) *Session {
	t.Helper()
	select {
	case s := <-h.sessions:
		t.Cleanup(func() { _ = s.Close() })
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("hub accepted no session")
		return nil
	}
}

// dial connects an agent session to url, closed at test end.
func dial(t testing.TB, dc DialConfig) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sess, _, err := Dial(ctx, dc)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	return sess
}

// connectPair returns connected agent and hub sessions using cfg on both ends.
func connectPair(t testing.TB, cfg Config) (agent, hubSess *Session) {
	t.Helper()
	h := startHub(t, cfg, nil)
	agent = dial(t, DialConfig{URL: h.url(), Config: cfg})
	return agent, h.next(t)
}

// serveEcho echoes every stream accepted on sess until the session ends.
func serveEcho(sess *Session) {
	go func() {
		for {
			s, err := sess.AcceptStream()
			if err != nil {
				return
			}
			go func() {
				defer s.Close()
				_, _ = io.Copy(s, s)
			}()
		}
	}()
}

// wsPair returns the two ends of a plain WebSocket over loopback with the production buffer
// settings: c is the agent (client) end, s the hub end.
func wsPair(t testing.TB) (c, s *websocket.Conn) {
	t.Helper()
	ch := make(chan *websocket.Conn, 1)
	up := NewUpgrader(Config{}).up
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		ch <- ws
	}))
	t.Cleanup(srv.Close)
	d, err := DialConfig{}.dialer()
	if err != nil {
		t.Fatal(err)
	}
	c, _, err = d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	s = <-ch
	t.Cleanup(func() { _ = c.Close(); _ = s.Close() })
	return c, s
}

// freezer is a TCP relay that can stop forwarding while keeping both connections open, which is
// what a dead peer behind a NAT or a crashed host looks like.
type freezer struct {
	ln     net.Listener
	target string
	frozen atomic.Bool
	stop   chan struct{}
	once   sync.Once
}

func startFreezer(t testing.TB, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target, stop: make(chan struct{})}
	t.Cleanup(func() { f.once.Do(func() { close(f.stop) }); _ = ln.Close() })
	go f.serve()
	return f
}

func (f *freezer) addr() string { return f.ln.Addr().String() }

func (f *freezer) serve() {
	for {
		in, err := f.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", f.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		go f.pipe(in, out)
		go f.pipe(out, in)
	}
}

// pipe copies src to dst until frozen, then swallows nothing and holds both ends open.
func (f *freezer) pipe(dst, src net.Conn) {
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if f.frozen.Load() {
			<-f.stop
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// waitClosed fails unless sess closes within d.
func waitClosed(t testing.TB, name string, sess *Session, d time.Duration) {
	t.Helper()
	select {
	case <-sess.CloseChan():
	case <-time.After(d):
		t.Fatalf("%s session still open after %s", name, d)
	}
}

// isClosedErr reports errors that mean "the connection is gone".
func isClosedErr(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, yamux.ErrSessionShutdown) ||
		errors.Is(err, yamux.ErrConnectionReset) || errors.Is(err, yamux.ErrStreamClosed)
}
