package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// conformanceServer builds (cached) go-sdk's conformance everything-server and returns it.
func conformanceServer(t testing.TB) string {
	t.Helper()
	script := filepath.Join(repoRoot(t), "e2e", "conformance", "everything-server.sh")
	out, err := exec.Command("bash", script, "--build-only").Output()
	if err != nil {
		t.Fatalf("build the conformance server: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestConcurrentClientsAnswerTheirOwnSampling (issue 9): several TypeScript SDK clients, all
// of the same key, call a sampling tool of one backend behind an agent at the same time, and
// each gets back the answer it gave itself. Both ways a backend can link its requests to the
// call that caused them: go-sdk's conformance server over stdio, which speaks 2026-07-28
// (input_required, bridged to the legacy clients), and the same server over legacy
// streamable HTTP (requests on the call's own POST stream). The same server over stdio in
// the legacy era, where nothing links them, is run too: there a call gets its own answer or
// a refusal, never another client's prompt.
func TestConcurrentClientsAnswerTheirOwnSampling(t *testing.T) {
	const clients = 5
	node := nodeBin(t)
	server := conformanceServer(t)
	port := startOnFreePort(t, server, func(port int) ([]string, []string) {
		return nil, []string{fmt.Sprintf("-http=127.0.0.1:%d", port), "-stateless=false"}
	}, func(port int) string { return fmt.Sprintf("http://127.0.0.1:%d/mcp", port) })

	hub := hubtest.Start(t, nil)
	key := hub.EnrollAgent(t, "laptop")
	conf := filepath.Join(t.TempDir(), "config.toml")
	body := fmt.Sprintf(`[agent]
agent_id = "laptop"
gateway_url = %q
api_key = %q

[[backends]]
name = "stdio"
transport = "stdio"
command = %q

[[backends]]
name = "stdio-legacy"
transport = "stdio"
command = %q
era = "legacy"

[[backends]]
name = "http"
transport = "http"
url = "http://127.0.0.1:%d/mcp"
`, hub.AgentURL(), key, server, server, port)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	start(t, nil, buildBinary(t, "agent/cmd/mcp-gateway-agent"), "run", "--headless", "--config", conf)
	tools := []string{"laptop__stdio__test_input_required_result_sampling", "laptop__http__test_sampling"}
	// Over stdio in the legacy era nothing links a request to its call: each client gets its
	// own answer or a refusal, never another client's prompt.
	const unlinked = "laptop__stdio-legacy__test_sampling"
	(&mesh{hub: hub}).waitTools(t, append(tools, unlinked)...)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{filepath.Join(repoRoot(t), "e2e", "ts", "sampling-concurrent.mjs"),
		hub.MCPURL(), hub.OwnerKey, fmt.Sprint(clients), unlinked}, tools...)
	cmd := exec.CommandContext(ctx, node, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sampling-concurrent.mjs: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	var got map[string][]struct {
		Client, Text, Error string
		IsError             bool
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("sampling-concurrent.mjs printed no JSON object: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	refused := 0
	for _, r := range got[unlinked] {
		switch {
		case strings.Contains(r.Text, "calls of several clients are in flight"):
			refused++
		case r.Error != "" || !strings.Contains(r.Text, "answered by "+r.Client+" to secret of "+r.Client):
			t.Errorf("%s, %s: got %q (error %q), want its own answer or a refusal", unlinked, r.Client, r.Text, r.Error)
		}
	}
	t.Logf("%s: %d of %d concurrent calls refused as ambiguous", unlinked, refused, len(got[unlinked]))
	for _, tool := range tools {
		if len(got[tool]) != clients {
			t.Errorf("%s: %d results, want %d", tool, len(got[tool]), clients)
		}
		for _, r := range got[tool] {
			if r.Error != "" || r.IsError || !strings.Contains(r.Text, "answered by "+r.Client+" ") {
				t.Errorf("%s, %s: got %q (error %q), want its own answer", tool, r.Client, r.Text, r.Error)
			} else if strings.Contains(tool, "test_sampling") && !strings.Contains(r.Text, "secret of "+r.Client) {
				t.Errorf("%s, %s: answered another client's prompt: %q", tool, r.Client, r.Text)
			}
		}
	}
}
