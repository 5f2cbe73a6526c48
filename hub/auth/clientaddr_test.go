package auth

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestClientFrom(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"no proxies trusted", "127.0.0.1:5000", []string{"203.0.113.5"}, nil, "127.0.0.1"},
		{"untrusted peer's header is ignored", "192.0.2.9:5000", []string{"203.0.113.5"}, proxies, "192.0.2.9"},
		{"trusted proxy", "127.0.0.1:5000", []string{"203.0.113.5"}, proxies, "203.0.113.5"},
		{"client-written entries are not believed", "127.0.0.1:5000", []string{"198.51.100.1, 203.0.113.5"}, proxies, "203.0.113.5"},
		{"a chain of trusted proxies", "127.0.0.1:5000", []string{"198.51.100.1, 203.0.113.5, 10.1.2.3"}, proxies, "203.0.113.5"},
		{"several header lines", "127.0.0.1:5000", []string{"198.51.100.1", "203.0.113.5"}, proxies, "203.0.113.5"},
		{"with a port", "127.0.0.1:5000", []string{"203.0.113.5:4711"}, proxies, "203.0.113.5"},
		{"IPv6 by its /64", "127.0.0.1:5000", []string{"[2001:db8:1:2::77]:4711"}, proxies, "2001:db8:1:2::/64"},
		{"IPv4-mapped", "127.0.0.1:5000", []string{"::ffff:203.0.113.5"}, proxies, "203.0.113.5"},
		{"garbage nearest: the proxy", "127.0.0.1:5000", []string{"203.0.113.5, unknown"}, proxies, "127.0.0.1"},
		{"empty header: the proxy", "127.0.0.1:5000", []string{""}, proxies, "127.0.0.1"},
		{"no header: the proxy", "127.0.0.1:5000", nil, proxies, "127.0.0.1"},
		{"only proxies: the peer", "127.0.0.1:5000", []string{"10.0.0.1, 10.0.0.2"}, proxies, "127.0.0.1"},
	}
	for _, c := range cases {
		r, _ := http.NewRequest(http.MethodPost, "http://hub/api/v1/auth/login", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := ClientFrom(r, c.trusted); got != c.want {
			t.Errorf("%s: ClientFrom = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestClientAddress(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:5555":                     "192.0.2.1",
		"[::ffff:192.0.2.1]:80":              "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443":         "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff:ffff:ffff:1]:44": "2001:db8:1:2::/64",
		"[::1]:3200":                         "::/64",
		"192.0.2.1":                          "192.0.2.1",
		"":                                   "",
		"@":                                  "@",
	} {
		if got := ClientAddress(in); got != want {
			t.Errorf("ClientAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

// ClientFrom parses what the client sent (X-Forwarded-For) and what the listener reports:
// whatever they are, it answers without panicking, and only an address the header or the
// peer gave.
func FuzzClientFrom(f *testing.F) {
	f.Add("127.0.0.1:1", "203.0.113.5")
	f.Add("127.0.0.1:1", "198.51.100.1, [2001:db8::1]:80, 10.0.0.1")
	f.Add("[::1]:2", "unknown, ,,")
	f.Add("x:y:z", "[")
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}}}
		got := ClientFrom(r, proxies)
		from := []string{ClientAddress(remote)}
		for _, e := range strings.Split(xff, ",") {
			if a := hostAddr(strings.TrimSpace(e)); a.IsValid() {
				from = append(from, ClientAddress(a.String()))
			}
		}
		if !slices.Contains(from, got) {
			t.Errorf("ClientFrom(%q, %q) = %q: from neither", remote, xff, got)
		}
	})
}
