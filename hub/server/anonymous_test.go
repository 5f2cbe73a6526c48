package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/server"
	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
)

// anonHub runs a hub with anonymous_role viewer, configured for a loopback listener, on ln
// (which the test chooses: a program embedding the hub passes its own listener, and a
// "localhost" that resolves elsewhere gives a non-loopback one). It returns the hub's log.
func anonHub(t *testing.T, ln net.Listener) *syncbuf.Buffer {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	cfg.AnonymousRole = "viewer"
	logs := &syncbuf.Buffer{}
	s, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hub exited: %v", err)
		}
	})
	return logs
}

// initializeAnon sends an initialize without a key to url through c, with extra headers.
func initializeAnon(t *testing.T, c *http.Client, url string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/mcp", strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// nonLoopbackIP is an address of this machine that is not loopback, or "" if it has none.
func nonLoopbackIP() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// anonymous_role is for clients on this machine. Remote clients that a plain TCP forwarder
// on the same host relays (the forwarder connects from loopback and adds no header) are
// recognised by the Host they ask for, and by the forwarding headers of a forwarder that
// adds them; they need a key. A local client without a key is served, and the hub says in
// its log at start what anonymous access grants and under which conditions.
func TestAnonymousThroughATCPForwarder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := anonHub(t, ln)
	hub := "http://" + ln.Addr().String()
	if st, body := initializeAnon(t, http.DefaultClient, hub, nil); st != http.StatusOK {
		t.Fatalf("local client without a key: %d %s", st, body)
	}
	for _, want := range []string{"anonymous access is on", "role viewer", "loopback", "forwarding header", "TCP forwarder", "permissions="} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("start log does not say %q:\n%s", want, logs.String())
		}
	}

	listen := "127.0.0.1:0"
	if ip := nonLoopbackIP(); ip != "" {
		listen = net.JoinHostPort(ip, "0") // where a forwarder exposing the hub would listen
	}
	fw := forward(t, listen, ln.Addr().String())
	// A remote client reaches the forwarder by the machine's name.
	remote := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, fw.Addr())
	}}}
	_, port, _ := net.SplitHostPort(fw.Addr())
	// Asked for by name or by the forwarder's own address: not one of the hub's names (403),
	// and not a local client either.
	hosts := []string{"devbox.example.net:" + port}
	if !strings.HasPrefix(fw.Addr(), "127.") {
		hosts = append(hosts, fw.Addr())
	} // else a loopback-bound forwarder asked for by address looks local: the residual risk
	for _, host := range hosts {
		st, body := initializeAnon(t, remote, "http://"+host, nil)
		if st != http.StatusForbidden || !strings.Contains(body, "host "+host+" is not allowed") {
			t.Errorf("through the forwarder for host %s: %d %s; want 403 naming the host", host, st, body)
		}
	}
	// A forwarder (or a client) that adds forwarding headers.
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Real-Ip", "Forwarded"} {
		st, body := initializeAnon(t, remote, "http://127.0.0.1:"+port, map[string]string{h: "for=203.0.113.9"})
		if st != http.StatusUnauthorized || !strings.Contains(body, "anonymous access is for local clients only") || !strings.Contains(body, "came through a proxy ("+h+")") {
			t.Errorf("through the forwarder with %s: %d %s; want 401 naming the header", h, st, body)
		}
	}
}

// The peer address counts, not only what the request says: a hub configured for loopback
// but handed a listener on another address (an embedding program, or a "localhost" that
// resolves elsewhere) serves a remote client anonymously no more, even if that client
// names a loopback Host. Needs an address of this machine that is not loopback.
func TestAnonymousNeedsALoopbackPeer(t *testing.T) {
	ip := nonLoopbackIP()
	if ip == "" {
		t.Skip("this machine has no non-loopback address to listen on")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	anonHub(t, ln)
	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/mcp", strings.NewReader(initBody))
	req.Host = "127.0.0.1"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	st, body := resp.StatusCode, string(b)
	if st != http.StatusUnauthorized || !strings.Contains(body, "this connection comes from "+ip+", not from this machine") {
		t.Errorf("remote peer naming Host 127.0.0.1: %d %s; want 401 naming the peer", st, body)
	}
}
