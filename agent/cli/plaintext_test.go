package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
)

// Issue 10, item 4: a hub reached over http:// (a ws:// tunnel) on another machine carries
// the agent key and every call in clear. `setup --hub` and `run` warn about it; they do not
// for https:// nor for a loopback hub (tested both ways).
func TestPlaintextTunnelWarns(t *testing.T) {
	t.Setenv(config.EnvHome, shortTemp(t))
	t.Setenv(config.EnvAPIKey, "")
	for hub, warn := range map[string]bool{
		"http://hub.example.com:3200": true, "ws://10.1.2.3:3200/agent/ws": true, "hub.internal:3200": false, // bare host: https
		"https://hub.example.com": false, "http://127.0.0.1:3200": false, "http://localhost:3200": false, "ws://[::1]:3200/agent/ws": false,
	} {
		file := filepath.Join(t.TempDir(), "config.toml")
		_, stderr, err := run(ctx30(t), "setup", "--config", file, "--hub", hub, "--key", "mcpgw_k", "--agent-id", "laptop", "--skip-check")
		if err != nil {
			t.Fatalf("setup --hub %s: %v\n%s", hub, err, stderr)
		}
		if got := strings.Contains(stderr, "not encrypted"); got != warn {
			t.Errorf("setup --hub %s: warned %v, want %v: %q", hub, got, warn, stderr)
		}
	}

	for gw, warn := range map[string]bool{"ws://192.0.2.1:9/agent/ws": true, "ws://127.0.0.1:1/agent/ws": false} {
		file := filepath.Join(t.TempDir(), "config.toml")
		cfg := "[agent]\nagent_id = \"laptop\"\ngateway_url = \"" + gw + "\"\napi_key = \"mcpgw_k\"\n"
		if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		// The warning is written before the first dial; the context only ends the run.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, stderr, err := run(ctx, "run", "--config", file, "--socket", "off")
		cancel()
		if err != nil {
			t.Fatalf("run with %s: %v\n%s", gw, err, stderr)
		}
		if !strings.Contains(stderr, "starting") {
			t.Fatalf("run with %s did not start:\n%s", gw, stderr)
		}
		if got := strings.Contains(stderr, "not encrypted"); got != warn {
			t.Errorf("run with %s: warned %v, want %v:\n%s", gw, got, warn, stderr)
		}
	}
}
