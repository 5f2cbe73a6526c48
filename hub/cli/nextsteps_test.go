package cli

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// serveUntilListening runs serve with args until it logs "hub listening", then stops it and
// returns everything it printed.
func serveUntilListening(t *testing.T, args ...string) string {
	t.Helper()
	var out syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"serve"}, args...),
			Env{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(&out, nil))})
	}()
	if !waitfor.Poll(60*time.Second, func() bool { return strings.Contains(out.String(), "hub listening") }) {
		cancel()
		t.Fatalf("hub not listening after 60s:\n%s", out.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	return out.String()
}

// A new hub says what to do next: the /mcp URL for AI clients and how to enroll and set up
// an agent, with its own address; a restarted one does not repeat it. On loopback there is
// no clear-text warning.
func TestFirstStartPrintsNextSteps(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	out := serveUntilListening(t, "--data-dir", dir, "--listen", addr)
	for _, want := range []string{"Next steps", "http://" + addr + "/mcp", "export MCPGW_HUB=http://" + addr,
		"export MCPGW_KEY=", "mcp-gateway-hub keys create", "mcp-gateway-hub agents enroll",
		"mcp-gateway-agent setup --hub http://" + addr, "docs/CONFIG.md"} {
		if !strings.Contains(out, want) {
			t.Errorf("first start does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "without TLS") {
		t.Errorf("a loopback hub warned about clear text:\n%s", out)
	}
	if out := serveUntilListening(t, "--data-dir", dir, "--listen", addr); strings.Contains(out, "Next steps") {
		t.Errorf("a restart printed the next steps again:\n%s", out)
	}
}

// The clear-text warning: beyond loopback without TLS, unless public_url says a TLS proxy
// fronts the hub. (Decided on the configuration: a test does not listen beyond loopback.)
func TestClearTextBeyondLoopback(t *testing.T) {
	for _, c := range []struct {
		cfg  config.Config
		warn bool
	}{
		{config.Config{Listen: "0.0.0.0:3200"}, true},
		{config.Config{Listen: "[::]:3200"}, true},
		{config.Config{Listen: "192.0.2.7:3200", PublicURL: "http://hub.example.com"}, true},
		{config.Config{Listen: "127.0.0.1:3200"}, false},
		{config.Config{Listen: "localhost:3200"}, false},
		{config.Config{Listen: "[::1]:3200"}, false},
		{config.Config{Listen: "0.0.0.0:3200", TLSCert: "c.pem", TLSKey: "k.pem"}, false},
		{config.Config{Listen: "0.0.0.0:3200", PublicURL: "https://hub.example.com"}, false},
	} {
		if got := clearTextBeyondLoopback(c.cfg); got != c.warn {
			t.Errorf("%+v: warn %v, want %v", c.cfg, got, c.warn)
		}
	}
	a := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3200}
	for _, c := range []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{}, "http://127.0.0.1:3200"},
		{config.Config{TLSCert: "c.pem"}, "https://127.0.0.1:3200"},
		{config.Config{PublicURL: "https://hub.example.com/gw/"}, "https://hub.example.com/gw"},
	} {
		if got := hubURL(c.cfg, a); got != c.want {
			t.Errorf("hubURL(%+v) = %s, want %s", c.cfg, got, c.want)
		}
	}
}
