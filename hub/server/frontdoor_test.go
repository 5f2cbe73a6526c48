package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/server"
)

// eventually waits for cond, failing after a deadline generous enough for a busy machine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // a poll of state that has no event to wait on
	}
}

// dialFrom opens a TCP connection to the hub from local address ip (any 127.x.y.z is
// routed to lo on Linux, so each is "another client address").
func dialFrom(t *testing.T, h *hubtest.Hub, ip string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 30 * time.Second}
	c, err := d.Dial("tcp", strings.TrimPrefix(h.URL, "http://"))
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	return c
}

// healthz sends one keep-alive GET /healthz on c and reads the answer; the connection is
// then idle in the hub. It reports whether the hub answered (false: c was closed).
func healthz(c net.Conn, br *bufio.Reader) bool {
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		return false
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// otherClientWorks: a client from 127.0.0.1 gets /healthz and an MCP session with a call.
func otherClientWorks(t *testing.T, h *hubtest.Hub) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(h.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz of another client: %v %v", resp, err)
	}
	resp.Body.Close()
	sid := initialize(t, c, h, h.OwnerKey)
	if got := rpc(t, c, h, h.OwnerKey, sid, `{"jsonrpc":"2.0","id":2,"method":"ping"}`); !strings.Contains(got, `"result":{}`) {
		t.Fatalf("ping of another client: %s", got)
	}
}

// TestIdleConnectionFlood: 3,000 idle keep-alive connections from one address, with the
// default caps. Beyond max_connections_per_address the oldest idle ones are closed, while
// another client's /healthz and MCP calls keep answering; once the flood's connections
// close, the hub's connection count and goroutines are back where they were.
func TestIdleConnectionFlood(t *testing.T) {
	perAddr, flood := config.Default().Limits.MaxConnectionsPerAddress, 3000
	// Each flood connection is two descriptors here (client and hub, one process).
	small := false
	if fds := server.FDLimit(); fds > 0 && fds < uint64(2*flood+1024) {
		perAddr, flood, small = 100, 300, true
		t.Logf("open-file limit %d: a flood of %d against a per-address cap of %d instead", fds, flood, perAddr)
	}
	h := hubtest.Start(t, func(c *config.Config) {
		if small {
			c.Limits.MaxConnectionsPerAddress = perAddr
		}
	})
	otherClientWorks(t, h)
	http.DefaultClient.CloseIdleConnections()
	baseConns := h.Server.ConnStats().Open
	baseG := runtime.NumGoroutine()

	conns := make([]net.Conn, 0, flood)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	answered := 0
	for range flood {
		c := dialFrom(t, h, "127.0.0.2")
		conns = append(conns, c)
		if healthz(c, bufio.NewReader(c)) {
			answered++
		}
	}
	st := h.Server.ConnStats()
	t.Logf("flood of %d: %d answered, hub holds %d connections, evicted %v, refused %v", flood, answered, st.Open, st.Evicted, st.Refused)
	if st.Open > int64(perAddr)+baseConns+5 {
		t.Errorf("hub holds %d connections, want at most the per-address cap %d (+ others)", st.Open, perAddr)
	}
	if st.Evicted["address"]+st.Refused["address"] < int64(flood-perAddr) {
		t.Errorf("evicted %v refused %v, want at least %d beyond the cap", st.Evicted, st.Refused, flood-perAddr)
	}
	otherClientWorks(t, h)

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	http.DefaultClient.CloseIdleConnections()
	eventually(t, "the flood's connections to close in the hub", func() bool { return h.Server.ConnStats().Open <= baseConns+2 })
	eventually(t, fmt.Sprintf("goroutines back to %d", baseG), func() bool { return runtime.NumGoroutine() <= baseG+5 })
}

// TestConnectionCapRefuses: at max_connections with no quiet connection to close (every
// one is in the middle of a request), a new connection gets a 503 and is closed; when
// those requests end, new connections are served again.
func TestConnectionCapRefuses(t *testing.T) {
	const max = 20
	h := hubtest.Start(t, func(c *config.Config) {
		c.Limits.MaxConnections, c.Limits.MaxConnectionsPerAddress = max, 0
		c.Limits.ReadTimeout = config.Duration{Duration: 10 * time.Minute} // the test ends them itself
	})
	eventually(t, "no connection open", func() bool { return h.Server.ConnStats().Open == 0 })
	var busy []net.Conn
	defer func() {
		for _, c := range busy {
			c.Close()
		}
	}()
	for range max {
		c := dialFrom(t, h, "127.0.0.3")
		// The body never comes: the connection stays active in the handler reading it.
		io.WriteString(c, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+h.OwnerKey+
			"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
		busy = append(busy, c)
	}
	eventually(t, "every connection active", func() bool {
		st := h.Server.ConnStats()
		return st.Open == max && st.Quiet == 0
	})
	c := dialFrom(t, h, "127.0.0.1")
	c.SetDeadline(time.Now().Add(60 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("refused connection: want a 503, got %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	c.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "too many open connections") {
		t.Fatalf("refused connection: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	if st := h.Server.ConnStats(); st.Refused["total"] < 1 || st.Open != max {
		t.Fatalf("stats %+v", st)
	}
	for _, c := range busy {
		c.Close()
	}
	busy = nil
	eventually(t, "the busy connections to close", func() bool { return h.Server.ConnStats().Open == 0 })
	otherClientWorks(t, h)
}

// TestBodyReadTimeout: a body that stalls is cut off after read_timeout; a long-lived
// answer to a request whose body did arrive (a subscriptions/listen stream) outlives it.
func TestBodyReadTimeout(t *testing.T) {
	// Long enough that a handler descheduled on a busy machine still reads a body that has
	// arrived (a read after the deadline fails even when the data is there).
	const readTimeout = time.Second
	h := hubtest.Start(t, func(c *config.Config) { c.Limits.ReadTimeout = config.Duration{Duration: readTimeout} })

	c := dialFrom(t, h, "127.0.0.1")
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	io.WriteString(c, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+h.OwnerKey+
		"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("stalled body: want an answer, got %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "timeout") {
		t.Fatalf("stalled body: %d %s", resp.StatusCode, body)
	}

	stream := listen(t, h, h.OwnerKey)
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("subscriptions/listen: %d", stream.StatusCode)
	}
	defer stream.Body.Close()
	lines := bufio.NewScanner(stream.Body)
	waitLine(t, lines, "notifications/subscriptions/acknowledged")
	time.Sleep(2 * readTimeout) // the thing under test: the body's deadline passes, the stream must stay
	h.Server.GW.ListChanged(router.Changes{Tools: true})
	waitLine(t, lines, "notifications/tools/list_changed")
}

// waitLine reads SSE lines until one contains want.
func waitLine(t *testing.T, lines *bufio.Scanner, want string) {
	t.Helper()
	for lines.Scan() {
		if strings.Contains(lines.Text(), want) {
			return
		}
	}
	t.Fatalf("stream ended before %s: %v", want, lines.Err())
}
