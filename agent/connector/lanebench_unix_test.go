//go:build unix

package connector

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// The test binary doubles as a plain stdio MCP server (initialize, tools/list, tools/call
// answering with one text), so that the lane benchmark ends at a real process on real pipes.
const stdioServerEnv = "MCPGW_CONNECTOR_TEST_STDIO_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(stdioServerEnv) != "" {
		serveStdio()
		return
	}
	os.Exit(m.Run())
}

func serveStdio() {
	in := bufio.NewReaderSize(os.Stdin, 64<<10)
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	for {
		line, err := in.ReadBytes('\n')
		if err != nil {
			return
		}
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(line, &req) != nil || req.ID == nil {
			continue // notifications
		}
		switch req.Method {
		case "initialize":
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"bench","version":"1"}}}`+"\n", req.ID)
		case "tools/list":
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"echo","inputSchema":{"type":"object"}}]}}`+"\n", req.ID)
		case "tools/call":
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"This is a simple text response for testing."}]}}`+"\n", req.ID)
		default:
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no such method"}}`+"\n", req.ID)
		}
		if out.Flush() != nil {
			return
		}
	}
}

// BenchmarkDirectLaneStdio measures one call as the agent serves it in production: a Call
// frame on a direct lane, the call run against a real stdio server (this test binary), the
// Result frame back; with the status tracker, logs discarded. Its cpu-ns/op (getrusage) and
// allocations include the scripted hub's side of the lane, the same on both sides of an A/B
// comparison, and not the server's.
func BenchmarkDirectLaneStdio(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	h := startFakeHub(b, nil)
	cfg := config.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = "laptop", h.url(), "mcpgw_secret"
	cfg.Backends = []backend.Config{{Name: "srv", Transport: backend.TransportStdio, Command: exe,
		Env: map[string]string{stdioServerEnv: "1"}, Era: backend.EraLegacy}}
	tr := status.New(status.Options{})
	runAgent(b, cfg, Options{Status: tr, Logger: slog.New(slog.DiscardHandler)})

	c := h.next(b)
	readJSON(b, c.ctrl, protocol.TypeHello, &protocol.Hello{})
	if err := protocol.WriteJSON(c.ctrl, protocol.TypeWelcome, protocol.Welcome{AgentID: "laptop", Capability: protocol.CapabilityDirect}); err != nil {
		b.Fatal(err)
	}
	c.sess.Direct().Enable()
	st, err := c.sess.Direct().Open()
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const call = `{"backend":"srv","caller":{"name":"alice","keyId":"k1","session":"s1"},"deadline":%d,"message":{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{}}}}`
	frame := func() string { return fmt.Sprintf(call, time.Now().Add(time.Minute).UnixMilli()) }
	// The backend starts with the agent: until it is ready, calls fail at once.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := string(hubCallOn(b, st, frame()))
		if strings.Contains(got, "simple text") {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("backend never answered: %s", got)
		}
	}
	msg := frame()
	b.ReportAllocs()
	cpu0 := processCPU(b)
	for b.Loop() {
		hubCallOn(b, st, msg)
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time (user and system) this process has used: the agent's and the
// scripted hub's goroutines, not the stdio server's.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
