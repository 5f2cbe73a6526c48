package tunnel

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

func TestProxyFunc(t *testing.T) {
	tests := []struct {
		name     string
		explicit string
		env      map[string]string
		target   string
		want     string // "" means direct
	}{
		{"explicit wins over env", "http://explicit:2", map[string]string{"HTTPS_PROXY": "http://env:1"}, "wss://hub.example.com/agent/ws", "http://explicit:2"},
		{"explicit ignores NO_PROXY", "http://explicit:2", map[string]string{"NO_PROXY": "*"}, "wss://hub.example.com/", "http://explicit:2"},
		{"explicit bare host:port is http", "proxy.corp:3128", nil, "wss://hub.example.com/", "http://proxy.corp:3128"},
		{"explicit direct beats env", "direct", map[string]string{"HTTPS_PROXY": "http://env:1"}, "wss://hub.example.com/", ""},
		{"no proxy configured", "", nil, "wss://hub.example.com/", ""},
		{"wss uses HTTPS_PROXY", "", map[string]string{"HTTPS_PROXY": "http://sec:1", "HTTP_PROXY": "http://plain:2"}, "wss://hub.example.com/", "http://sec:1"},
		{"ws uses HTTP_PROXY", "", map[string]string{"HTTPS_PROXY": "http://sec:1", "HTTP_PROXY": "http://plain:2"}, "ws://hub.example.com/", "http://plain:2"},
		{"wss ignores HTTP_PROXY", "", map[string]string{"HTTP_PROXY": "http://plain:2"}, "wss://hub.example.com/", ""},
		{"lower-case fallback", "", map[string]string{"https_proxy": "lower:3"}, "wss://hub.example.com/", "http://lower:3"},
		{"NO_PROXY exact host", "", map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": "other.org, hub.example.com"}, "wss://hub.example.com/", ""},
		{"NO_PROXY domain covers subdomains", "", map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"}, "wss://hub.example.com/", ""},
		{"NO_PROXY dot-domain excludes apex only-sub", "", map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".example.com"}, "wss://example.com/", "http://p:1"},
		{"NO_PROXY no suffix confusion", "", map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"}, "wss://badexample.com/", "http://p:1"},
		{"NO_PROXY port must match", "", map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": "hub.example.com:8443"}, "wss://hub.example.com/", "http://p:1"},
		{"NO_PROXY port matches", "", map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": "hub.example.com:8443"}, "wss://hub.example.com:8443/", ""},
		{"NO_PROXY CIDR", "", map[string]string{"HTTPS_PROXY": "http://p:1", "no_proxy": "10.0.0.0/8"}, "wss://10.1.2.3/", ""},
		{"NO_PROXY star", "", map[string]string{"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, "wss://hub.example.com/", ""},
		{"loopback never proxied", "", map[string]string{"HTTPS_PROXY": "http://p:1"}, "wss://127.0.0.1:3200/", ""},
		{"localhost never proxied", "", map[string]string{"HTTP_PROXY": "http://p:1"}, "ws://localhost:3200/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"} {
				t.Setenv(k, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			f, err := ProxyFunc(tt.explicit)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(tt.target)
			got, err := f(&http.Request{URL: u})
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil && tt.want != "") || (got != nil && got.String() != tt.want) {
				t.Fatalf("proxy for %s = %v, want %q", tt.target, got, tt.want)
			}
		})
	}
}

func TestProxyFuncRejectsGarbage(t *testing.T) {
	if _, err := ProxyFunc("http://[::1"); err == nil {
		t.Fatal("no error for an unparsable proxy URL")
	}
}

// connectProxy is a minimal HTTP CONNECT proxy that records what it was asked for.
type connectProxy struct {
	ln      net.Listener
	mu      sync.Mutex
	targets []string
	auth    []string
}

func startConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.handle(c)
		}
	}()
	return p
}

func (p *connectProxy) handle(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		_, _ = io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, req.Host)
	p.auth = append(p.auth, req.Header.Get("Proxy-Authorization"))
	p.mu.Unlock()
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() { _, _ = io.Copy(up, br); _ = up.Close() }()
	_, _ = io.Copy(c, up)
}

func TestDialThroughConnectProxy(t *testing.T) {
	h := startHub(t, Config{}, nil)
	p := startConnectProxy(t)
	agent := dial(t, DialConfig{URL: h.url(), ProxyURL: "http://agent:s3cret@" + p.ln.Addr().String()})
	serveEcho(h.next(t))
	if err := echoOnce(agent, 10_000, 3); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	hubAddr := h.srv.Listener.Addr().String()
	if len(p.targets) != 1 || p.targets[0] != hubAddr {
		t.Fatalf("proxy saw CONNECT %v, want [%s]", p.targets, hubAddr)
	}
	if p.auth[0] != "Basic YWdlbnQ6czNjcmV0" { // agent:s3cret
		t.Fatalf("Proxy-Authorization %q", p.auth[0])
	}
}
