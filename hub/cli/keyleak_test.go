package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// Regression: --key took MCPGW_KEY as its flag default, and the flag package prints a
// non-empty default in every usage message: "users list --help", or any mistyped flag,
// wrote the key in clear to the terminal (and to CI logs). The key from the environment
// still authenticates (tested both ways).
func TestKeyFromEnvironmentNotPrintedInUsage(t *testing.T) {
	h := hubtest.Start(t, nil)
	t.Setenv("MCPGW_KEY", h.OwnerKey)
	t.Setenv("MCPGW_HUB", h.URL)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := Run(context.Background(), args, Env{Stdout: &out, Stderr: &out, Stdin: strings.NewReader(""),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		return out.String(), err
	}
	for _, args := range [][]string{{"users", "list", "--help"}, {"keys", "list", "--no-such-flag"}, {"tools", "get"}} {
		out, _ := run(args...)
		if strings.Contains(out, h.OwnerKey) || strings.Contains(out, h.OwnerKey[:16]) {
			t.Errorf("%v prints the key from MCPGW_KEY:\n%s", args, out)
		}
	}
	if out, err := run("users", "list"); err != nil || !strings.Contains(out, "owner") {
		t.Errorf("users list with the key from MCPGW_KEY: %v\n%s", err, out)
	}
}
