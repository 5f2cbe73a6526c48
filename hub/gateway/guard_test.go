package gateway

import (
	"net/http"
	"strings"
	"testing"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

func TestAuth(t *testing.T) {
	cases := []struct {
		name      string
		anonymous string
		auth      string // the Authorization header; "" sends none
		status    int
		role      string // the role the upstream sees, when let in
		hdr, val  string // one more request header, if any
	}{
		{"no key", "", "", http.StatusUnauthorized, "", "", ""},
		{"wrong key", "", "Bearer mcpgw_wrong_0123456789abcdefghijklmnopqrstuvwxyzABCD", http.StatusUnauthorized, "", "", ""},
		{"not bearer", "", "Basic " + aliceKey, http.StatusUnauthorized, "", "", ""},
		{"empty bearer", "", "Bearer ", http.StatusUnauthorized, "", "", ""},
		{"user key", "", "Bearer " + aliceKey, http.StatusOK, "admin", "", ""},
		{"lower-case scheme", "", "bearer " + bobKey, http.StatusOK, "developer", "", ""},
		{"agent key", "", "Bearer " + agentKey, http.StatusForbidden, "", "", ""},
		{"anonymous without key", "viewer", "", http.StatusOK, "viewer", "", ""},
		{"anonymous, user key", "viewer", "Bearer " + bobKey, http.StatusOK, "developer", "", ""},
		{"anonymous, wrong key", "viewer", "Bearer mcpgw_wrong_0123456789abcdefghijklmnopqrstuvwxyzABCD", http.StatusUnauthorized, "", "", ""},
		{"anonymous, not bearer", "viewer", "Basic dXNlcjpwdw==", http.StatusUnauthorized, "", "", ""},
		{"anonymous, agent key", "viewer", "Bearer " + agentKey, http.StatusForbidden, "", "", ""},
		// Relayed by a reverse proxy on the same host: not a local client.
		{"anonymous through a proxy", "viewer", "", http.StatusUnauthorized, "", "X-Forwarded-For", "203.0.113.9"},
		{"anonymous, Forwarded", "viewer", "", http.StatusUnauthorized, "", "Forwarded", "for=203.0.113.9"},
		{"anonymous for a public host", "viewer", "", http.StatusUnauthorized, "", "Host", "mcp.example.com"},
		{"anonymous for localhost", "viewer", "", http.StatusOK, "viewer", "Host", "localhost:3200"},
		{"key through a proxy", "viewer", "Bearer " + bobKey, http.StatusOK, "developer", "X-Forwarded-For", "203.0.113.9"},
		{"anonymous, X-Real-IP", "viewer", "", http.StatusUnauthorized, "", "X-Real-Ip", "203.0.113.9"},
		{"anonymous, X-Forwarded-Proto only", "viewer", "", http.StatusUnauthorized, "", "X-Forwarded-Proto", "https"},
		{"anonymous, X-Forwarded-Host only", "viewer", "", http.StatusUnauthorized, "", "x-forwarded-host", "127.0.0.1"},
		{"anonymous, Via", "viewer", "", http.StatusUnauthorized, "", "Via", "1.1 proxy"},
		{"anonymous, CF-Connecting-IP", "viewer", "", http.StatusUnauthorized, "", "CF-Connecting-IP", "203.0.113.9"},
		{"anonymous, allowed foreign web page", "viewer", "", http.StatusUnauthorized, "", "Origin", "https://app.example.com"},
		{"key, allowed foreign web page", "viewer", "Bearer " + bobKey, http.StatusOK, "developer", "Origin", "https://app.example.com"},
		{"anonymous, loopback web page", "viewer", "", http.StatusOK, "viewer", "Origin", "http://localhost:5173"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, Config{AnonymousRole: c.anonymous, AllowedOrigins: []string{"https://app.example.com"}})
			extra := func(r *http.Request) {
				switch c.hdr {
				case "":
				case "Host":
					r.Host = c.val
				default:
					r.Header.Set(c.hdr, c.val)
				}
			}
			resp := h.post("", initBody, withHeader("Authorization", c.auth), extra)
			if c.status != http.StatusOK {
				httpStatus(t, resp, c.status, -32001)
				wa := resp.Header.Get("WWW-Authenticate")
				if c.status == http.StatusUnauthorized && !strings.HasPrefix(wa, "Bearer ") {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge", wa)
				}
				if c.status != http.StatusUnauthorized && wa != "" {
					t.Errorf("WWW-Authenticate %q on %d", wa, c.status)
				}
				if n := h.gw.Sessions(); n != 0 {
					t.Errorf("%d sessions after a refused initialize", n)
				}
				return
			}
			sid := resp.Header.Get(headerSession)
			if m := h.reply(resp); m.Error != nil || sid == "" {
				t.Fatalf("initialize: %+v, session %q", m.Error, sid)
			}
			resp = h.post(sid, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"util__echo"}}`, withHeader("Authorization", c.auth), extra)
			var echo struct {
				Caller struct{ Role string }
			}
			toolText(t, h.reply(resp), &echo)
			if echo.Caller.Role != c.role {
				t.Errorf("upstream saw role %q, want %q", echo.Caller.Role, c.role)
			}
		})
	}
}

// TestAuthEveryRoute checks that no route is reachable without a key.
func TestAuthEveryRoute(t *testing.T) {
	h := newHarness(t, Config{})
	for _, r := range []*http.Request{
		h.request(http.MethodPost, "/mcp", initBody),
		h.request(http.MethodGet, "/mcp", ""),
		h.request(http.MethodDelete, "/mcp", ""),
		h.request(http.MethodGet, "/sse", ""),
		h.request(http.MethodPost, "/messages?sessionId=x", initBody),
	} {
		r.Header.Del("Authorization")
		resp := h.do(r)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s without a key: %d, WWW-Authenticate %q", r.Method, r.URL, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

func TestOrigin(t *testing.T) {
	cases := []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://localhost:6274", true},
		{"http://127.0.0.1", true},
		{"https://[::1]:8443", true},
		{"https://app.example", true}, // in AllowedOrigins
		{"https://evil.example", false},
		{"http://evil.example", false},
		{"https://app.example:8443", false}, // a different origin
		{"http://localhost.evil.example", false},
		{"null", false},
		{"file://", false},
		{"chrome-extension://abc", false},
	}
	h := newHarness(t, Config{AllowedOrigins: []string{"https://app.example"}})
	for _, c := range cases {
		resp := h.post("", initBody, withHeader("Origin", c.origin))
		if c.ok {
			if resp.StatusCode != http.StatusOK {
				t.Errorf("Origin %q: status %d, want 200", c.origin, resp.StatusCode)
			}
			continue
		}
		t.Run(c.origin, func(t *testing.T) { httpStatus(t, resp, http.StatusForbidden, -32001) })
	}
	// The legacy transport is guarded the same way.
	r := h.request(http.MethodGet, "/sse", "")
	r.Header.Set("Origin", "https://evil.example")
	if resp := h.do(r); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /sse from evil.example: %d", resp.StatusCode)
	}
}

func TestAllowedHosts(t *testing.T) {
	h := newHarness(t, Config{AllowedHosts: []string{"127.0.0.1", "localhost", "::1"}})
	for _, c := range []struct {
		host string
		ok   bool
	}{
		{"", true}, // the server's own 127.0.0.1:port
		{"localhost:3200", true},
		{"localhost", true},
		{"[::1]:3200", true},
		{"evil.example", false},
		{"evil.example:3200", false},
		{"127.0.0.1.evil.example", false},
	} {
		r := h.request(http.MethodPost, "/mcp", initBody)
		if c.host != "" {
			r.Host = c.host
		}
		resp := h.do(r)
		if c.ok {
			if resp.StatusCode != http.StatusOK {
				t.Errorf("Host %q: status %d, want 200", c.host, resp.StatusCode)
			}
			continue
		}
		t.Run(c.host, func(t *testing.T) { httpStatus(t, resp, http.StatusForbidden, -32001) })
	}

	// Without AllowedHosts every host is accepted.
	h = newHarness(t, Config{})
	r := h.request(http.MethodPost, "/mcp", initBody)
	r.Host = "evil.example"
	if resp := h.do(r); resp.StatusCode != http.StatusOK {
		t.Errorf("no AllowedHosts, Host evil.example: status %d", resp.StatusCode)
	}
}
