package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
)

func run(ctx context.Context, args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	err := Run(ctx, args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestVersion(t *testing.T) {
	out, _, err := run(context.Background(), "version", "--config", "ignored.toml")
	if err != nil || !strings.HasPrefix(out, "mcp-gateway-agent dev") {
		t.Fatalf("version: %q %v", out, err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"run", "--bogus"}, {"run", "extra"}, {"version", "x"}} {
		_, stderr, err := run(context.Background(), args...)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
		if len(args) < 2 && !strings.Contains(stderr, "Usage: mcp-gateway-agent") {
			t.Errorf("%q: no usage text on stderr: %q", args, stderr)
		}
	}
	out, _, err := run(context.Background(), "help")
	if err != nil || !strings.Contains(out, "run [--headless] [--config FILE]") || !strings.Contains(out, "dashboard [--socket PATH]") {
		t.Errorf("help: %q %v", out, err)
	}
	if _, _, err := run(context.Background(), "run", "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("run -h: %v", err)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(file, []byte("[agent]\nagent_id = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MCPGW_GATEWAY_URL", "")
	t.Setenv("MCPGW_API_KEY", "")
	_, _, err := run(context.Background(), "run", "--config", file)
	if err == nil || !strings.Contains(err.Error(), "agent.gateway_url") || !strings.Contains(err.Error(), "agent.api_key") {
		t.Fatalf("err = %v, want the missing fields named", err)
	}
}

// Without a terminal, run logs to stderr even without --headless; it stops when the
// context ends, even while the hub is unreachable.
func TestRunWithoutTerminalLogsToStderr(t *testing.T) {
	t.Setenv(config.EnvHome, shortTemp(t))
	file := filepath.Join(t.TempDir(), "config.toml")
	cfg := "[agent]\nagent_id = \"laptop\"\ngateway_url = \"ws://127.0.0.1:1/agent/ws\"\napi_key = \"mcpgw_k\"\n"
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, stderr, err := run(ctx, "run", "--config", file, "--log-level", "debug")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("run did not stop promptly")
	}
	for _, want := range []string{"starting", "cannot connect to the hub", "shutting down"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// shortTemp is a temporary directory with a short path: unix socket paths are limited to
// about 100 bytes.
func shortTemp(t *testing.T) string {
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
