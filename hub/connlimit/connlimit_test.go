package connlimit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// serve starts an http.Server behind a limiter on 127.0.0.1:0.
func serve(t *testing.T, cfg Config) (*Limiter, string) {
	t.Helper()
	l := New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ConnState: l.ConnState, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok"))
	})}
	go srv.Serve(l.Listen(ln))
	t.Cleanup(func() { srv.Close() })
	return l, ln.Addr().String()
}

// idleFrom opens a connection from ip and makes one request on it, and waits until the
// limiter counts every open connection quiet: the client reads the response before the
// server marks the connection idle, and a next dial in that gap finds none to evict.
func idleFrom(t *testing.T, l *Limiter, addr, ip string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("request from %s: %v", ip, err)
	}
	io.Copy(io.Discard, resp.Body)
	deadline := time.Now().Add(30 * time.Second)
	for st := l.Stats(); st.Quiet != st.Open; st = l.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("connections never all quiet: %+v", st)
		}
		time.Sleep(time.Millisecond) // no event for a state change inside net/http
	}
	return c
}

func (l *Limiter) perAddress() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for ip, a := range l.addrs {
		out[ip] = a.n
	}
	return out
}

// At the overall cap, the address holding the most connections gives up its oldest quiet
// one; a lighter address keeps its connections.
func TestTotalCapEvictsHeaviestAddress(t *testing.T) {
	l, addr := serve(t, Config{Max: 10})
	for range 7 {
		idleFrom(t, l, addr, "127.0.0.2")
	}
	for range 3 {
		idleFrom(t, l, addr, "127.0.0.3")
	}
	idleFrom(t, l, addr, "127.0.0.4")
	got := l.perAddress()
	if got["127.0.0.2"] != 6 || got["127.0.0.3"] != 3 || got["127.0.0.4"] != 1 {
		t.Fatalf("connections per address %v, want .2 to give one up", got)
	}
	if st := l.Stats(); st.Evicted[ReasonTotal] != 1 || st.Open != 10 {
		t.Fatalf("stats %+v", st)
	}
}

// At the per-address cap the address's own oldest quiet connection goes, and the
// connection evicted is really closed.
func TestPerAddressCapEvictsOwnOldest(t *testing.T) {
	l, addr := serve(t, Config{PerAddress: 2})
	first := idleFrom(t, l, addr, "127.0.0.2")
	idleFrom(t, l, addr, "127.0.0.2")
	idleFrom(t, l, addr, "127.0.0.3")
	idleFrom(t, l, addr, "127.0.0.2")
	if _, err := first.Read(make([]byte, 1)); err == nil {
		t.Fatal("the oldest idle connection of the address is still open")
	}
	if got := l.perAddress(); got["127.0.0.2"] != 2 || got["127.0.0.3"] != 1 {
		t.Fatalf("connections per address %v", got)
	}
}

// With a cap of one, each new connection replaces the address's only one: the address
// keeps its record and its count (a regression: the record was dropped with the victim,
// and the next connection from the address was not counted against the cap).
func TestCapOfOne(t *testing.T) {
	l, addr := serve(t, Config{Max: 1, PerAddress: 1})
	for range 4 {
		idleFrom(t, l, addr, "127.0.0.2")
		if got, st := l.perAddress(), l.Stats(); got["127.0.0.2"] != 1 || st.Open != 1 {
			t.Fatalf("per address %v, stats %+v", got, st)
		}
	}
	idleFrom(t, l, addr, "127.0.0.3")
	if got := l.perAddress(); got["127.0.0.3"] != 1 || len(got) != 1 {
		t.Fatalf("per address %v", got)
	}
}
