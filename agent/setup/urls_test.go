package setup

import (
	"strings"
	"testing"
)

func TestHubURLs(t *testing.T) {
	for _, tc := range []struct{ in, gw, dash string }{
		{"https://hub.example.com", "wss://hub.example.com/agent/ws", "https://hub.example.com"},
		{"https://hub.example.com/", "wss://hub.example.com/agent/ws", "https://hub.example.com"},
		{"http://10.0.0.5:3200", "ws://10.0.0.5:3200/agent/ws", "http://10.0.0.5:3200"},
		{"https://corp.example.com/mcp-gw/", "wss://corp.example.com/mcp-gw/agent/ws", "https://corp.example.com/mcp-gw"},
		{"wss://hub.example.com/agent/ws", "wss://hub.example.com/agent/ws", "https://hub.example.com"},
		{"ws://127.0.0.1:3200/agent/ws", "ws://127.0.0.1:3200/agent/ws", "http://127.0.0.1:3200"},
		{"wss://hub.example.com", "wss://hub.example.com/agent/ws", "https://hub.example.com"},
		{"wss://hub.example.com/custom/tunnel", "wss://hub.example.com/custom/tunnel", "https://hub.example.com"},
		{"https://hub.example.com/agent/ws", "wss://hub.example.com/agent/ws", "https://hub.example.com"},
		{"hub.example.com", "wss://hub.example.com/agent/ws", "https://hub.example.com"},
		{"127.0.0.1:3200", "ws://127.0.0.1:3200/agent/ws", "http://127.0.0.1:3200"},
		{"localhost:3200", "ws://localhost:3200/agent/ws", "http://localhost:3200"},
		{"[::1]:3200", "ws://[::1]:3200/agent/ws", "http://[::1]:3200"},
		{"  HTTPS://Hub.Example.com  ", "wss://Hub.Example.com/agent/ws", "https://Hub.Example.com"},
	} {
		gw, dash, err := HubURLs(tc.in)
		if err != nil || gw != tc.gw || dash != tc.dash {
			t.Errorf("HubURLs(%q) = %q, %q, %v; want %q, %q", tc.in, gw, dash, err, tc.gw, tc.dash)
		}
	}
}

func TestHubURLsRefused(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "empty",
		"ftp://hub.example.com":        "must start with",
		"https://":                     "no host",
		"https://u:p@hub.example.com":  "user or password",
		"https://hub.example.com/?a=1": "query",
		"https://hub.example.com/#x":   "fragment",
		"http://[::1":                  "does not parse",
	} {
		if _, _, err := HubURLs(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("HubURLs(%q) = %v; want an error containing %q", in, err, want)
		}
	}
}

func FuzzHubURLs(f *testing.F) {
	for _, s := range []string{"https://hub.example.com", "ws://127.0.0.1:1/agent/ws", "h:1", "[::1]", "wss://a/b/agent/ws/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		gw, dash, err := HubURLs(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(gw, "ws") || !strings.HasPrefix(dash, "http") {
			t.Fatalf("HubURLs(%q) = %q, %q", s, gw, dash)
		}
		if gw2, _, err := HubURLs(gw); err != nil || gw2 != gw {
			t.Fatalf("gateway URL %q of %q does not derive to itself: %q, %v", gw, s, gw2, err)
		}
	})
}
