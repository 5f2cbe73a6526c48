package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/cli"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// TestConnectEntryTSClient: the file `connect cursor|vscode --write` writes, read by the
// official TypeScript SDK client with the variables resolved as Cursor and VS Code resolve
// them, reaches a real hub; the same file with a wrong key is refused.
func TestConnectEntryTSClient(t *testing.T) {
	node := nodeBin(t)
	h := hubtest.Start(t, nil)
	script := filepath.Join(repoRoot(t), "e2e", "ts", "connect-entry.mjs")
	for _, client := range []string{"cursor", "vscode"} {
		t.Run(client, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "mcp.json")
			var out bytes.Buffer
			err := cli.Run(context.Background(), []string{"connect", client, "--url", h.MCPURL(), "--write", "--file", file},
				cli.Env{Stdout: &out, Stderr: &out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatalf("connect %s --write: %v\n%s", client, err, out.String())
			}
			run := func(key string) (r struct {
				Tools *int
				Error string
			}) {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, node, script, client, file)
				cmd.Env = append(os.Environ(), cli.DefaultKeyEnv+"="+key, "INPUT_mcp_gateway_key="+key)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("connect-entry.mjs: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
				}
				if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
					t.Fatalf("connect-entry.mjs output: %v\n%s\nstderr: %s", err, stdout.String(), stderr.String())
				}
				return r
			}
			if r := run(h.OwnerKey); r.Error != "" || r.Tools == nil {
				b, _ := os.ReadFile(file)
				t.Fatalf("the TypeScript client with the %s entry: %+v\n%s", client, r, b)
			}
			if r := run("mcpgw_" + strings.Repeat("x", 43)); r.Error == "" {
				t.Fatalf("the %s entry with a wrong key connected", client)
			}
		})
	}
}
