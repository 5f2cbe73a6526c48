//go:build unix

package upstream_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	mcpgw "github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// With stdioServerEnv set, the test binary is a stdio MCP server whose "hang" tool never
// answers; it writes its pid to $dir/pid at start and touches $dir/cancelled when a call is
// cancelled.
const stdioServerEnv = "MCPGW_TEST_STDIO_SERVER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(stdioServerEnv); dir != "" {
		os.Exit(serveStdio(dir))
	}
	os.Exit(m.Run())
}

func serveStdio(dir string) int {
	if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return 1
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "stdio-bounds", Version: "1"}, nil)
	server.AddTool(&mcp.Tool{Name: "hang", InputSchema: map[string]any{"type": "object"}},
		func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			<-ctx.Done()
			_ = os.WriteFile(filepath.Join(dir, "cancelled"), nil, 0o600)
			return nil, ctx.Err()
		})
	server.AddTool(&mcp.Tool{Name: "big", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.Repeat("x", 64<<10)}}}, nil
		})
	server.AddTool(&mcp.Tool{Name: "small", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil
		})
	server.AddTool(&mcp.Tool{Name: "die", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			os.Exit(3) // a crash in the middle of a call
			return nil, nil
		})
	if err := server.Run(context.Background(), &mcp.StdioTransport{}); err != nil && !errors.Is(err, context.Canceled) {
		return 1
	}
	return 0
}

// A hanging tool of a hub-local stdio backend: the client gets CodeCallTimeout, the server
// process sees the call cancelled, and once the hub stops no server process is left.
func TestTimeoutStdio(t *testing.T) {
	noLeaks(t)
	dir := t.TempDir()
	t.Cleanup(func() { processGone(t, dir) }) // runs after the hub has stopped
	h := startHub(t, []backend.Config{{Name: "local", Transport: backend.TransportStdio, Command: os.Args[0],
		Env: map[string]string{stdioServerEnv: dir}, Timeout: 700 * time.Millisecond}}, nil)
	waitTools(t, h, "local__hang")
	cs := connect(t, h)
	mustFail(t, cs, "local__hang", mcpgw.CodeCallTimeout, `backend "local"`, "700ms")
	waitFor(t, "the stdio server to see the call cancelled", func() bool {
		_, err := os.Stat(filepath.Join(dir, "cancelled"))
		return err == nil
	})
}

// An agent's stdio backend that crashes in the middle of each call: the agent answers that
// its backend is gone, the hub counts it as a failure, and after breaker_failures of them
// the breaker refuses calls at once.
func TestBreakerAgentBackendGone(t *testing.T) {
	noLeaks(t)
	dir := t.TempDir()
	h := startHub(t, nil, func(c *config.Calls) {
		c.BreakerFailures, c.BreakerCooldown.Duration = 2, 10*time.Minute
	})
	runAgent(t, h, "laptop", []backend.Config{{Name: "local", Transport: backend.TransportStdio, Command: os.Args[0],
		Env: map[string]string{stdioServerEnv: dir}}})
	cs := connect(t, h)
	for i := range 2 {
		we := mustFailRouted(t, h, cs, "laptop__local__die", connector.CodeUnavailable, `agent "laptop"`, `backend "local"`)
		t.Logf("call %d: %s", i, we.Message)
	}
	mustFailRouted(t, h, cs, "laptop__local__die", mcpgw.CodeCircuitOpen, `backend "local" of agent "laptop"`, "2 consecutive failures")
	if st, _ := h.Server.Upstream.Status("laptop", "local"); st.Breaker != "open" || st.Opened != 1 {
		t.Fatalf("status: %+v", st)
	}
}

// processGone checks that the stdio server whose pid is in dir has exited and been reaped.
func processGone(t *testing.T, dir string) {
	raw, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		t.Errorf("no pid file: %v", err)
		return
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	waitFor(t, "the stdio server process to be gone", func() bool {
		return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	})
}

// A result over the backend's max_message_bytes fails that call alone with CodeResultTooLarge,
// on a hub-local backend and on an agent's; the backend keeps serving, and the hub counts it
// in the REST API's calls object and in mcpgw_backend_bad_messages_total.
func TestResultTooLargeCounted(t *testing.T) {
	noLeaks(t)
	dir, agentDir := t.TempDir(), t.TempDir()
	cfg := func(dir string) []backend.Config {
		return []backend.Config{{Name: "local", Transport: backend.TransportStdio, Command: os.Args[0],
			Env: map[string]string{stdioServerEnv: dir}, MaxMessageBytes: 16 << 10}}
	}
	h := startHub(t, cfg(dir), nil)
	runAgent(t, h, "laptop", cfg(agentDir))
	waitTools(t, h, "local__big", "laptop__local__big")
	cs := connect(t, h)
	for _, tool := range []string{"local__big", "laptop__local__big"} {
		mustFail(t, cs, tool, mcpgw.CodeResultTooLarge, `backend "local"`, "max_message_bytes")
		mustOK(t, cs, strings.TrimSuffix(tool, "big")+"small")
	}
	if st, _ := h.Server.Upstream.Status("", "local"); st.TooLarge != 1 || st.Malformed != 0 || st.Breaker != "closed" {
		t.Errorf("hub-local status: %+v", st)
	}
	metrics := get(t, h, "/metrics")
	for _, want := range []string{`mcpgw_backend_bad_messages_total{agent="",backend="local",reason="too_large"} 1`,
		`mcpgw_backend_bad_messages_total{agent="laptop",backend="local",reason="too_large"} 1`,
		`mcpgw_backend_bad_messages_total{agent="laptop",backend="local",reason="malformed"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
