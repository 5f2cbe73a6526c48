package backend

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test binary doubles as a misbehaving stdio MCP server: with testServerEnv set it
// serves on stdin/stdout instead of running tests. A real process, so the connection is
// tested on real pipes.
const (
	testServerEnv = "MCPGW_TEST_STDIO_SERVER"
	childPIDEnv   = "MCPGW_TEST_CHILD_PIDFILE" // start a child that inherits stdout, write its pid here
	// toolDescriptionEnv is the description of the server's tool.
	toolDescriptionEnv = "MCPGW_TEST_TOOL_DESCRIPTION"
)

func TestMain(m *testing.M) {
	if os.Getenv(testServerEnv) != "" {
		os.Exit(serveTest())
	}
	os.Exit(m.Run())
}

// testServerConfig is a backend running the test server.
func testServerConfig(t *testing.T, name string, env map[string]string) Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{testServerEnv: "1"}
	for k, v := range env {
		all[k] = v
	}
	return Config{Name: name, Transport: TransportStdio, Command: exe, Env: all, Era: EraLegacy}
}

// testServer answers on stdout; one goroutine per request, one lock per message.
type testServer struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func serveTest() int {
	if path := os.Getenv(childPIDEnv); path != "" {
		child := exec.Command("sleep", "300")
		child.Stdout, child.Stderr = os.Stdout, os.Stderr // holds the pipes after we die
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "start child:", err)
			return 1
		}
		if err := os.WriteFile(path, []byte(strconv.Itoa(child.Process.Pid)), 0o600); err != nil {
			return 1
		}
	}
	fmt.Fprintln(os.Stderr, "test server up") // stderr is logged, never parsed
	s := &testServer{w: bufio.NewWriterSize(os.Stdout, 1<<20)}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if err != nil {
			return 0
		}
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Name      string `json:"name"`
				Arguments struct {
					Message string `json:"message"`
					Bytes   int    `json:"bytes"`
				} `json:"arguments"`
			} `json:"params"`
		}
		if json.Unmarshal(line, &req) != nil || req.ID == nil {
			continue // notifications
		}
		go s.handle(string(req.ID), req.Method, req.Params.Name, req.Params.Arguments.Message, req.Params.Arguments.Bytes)
	}
}

func (s *testServer) handle(id, method, tool, msg string, size int) {
	switch method {
	case "initialize":
		s.send(`{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"misbehaving","version":"1"}}}`, id)
	case "tools/list":
		desc, _ := json.Marshal(os.Getenv(toolDescriptionEnv))
		s.send(`{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"echo","description":%s,"inputSchema":{"type":"object"}}]}}`, id, desc)
	case "tools/call":
		s.call(id, tool, msg, size)
	default:
		s.send(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no such method"}}`, id)
	}
}

func (s *testServer) call(id, tool, msg string, size int) {
	text, _ := json.Marshal(msg)
	ok := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":%s}]}}`, id, text)
	switch tool {
	case "echo":
		s.send("%s", ok)
	case "noise": // a log line on stdout, then the answer
		s.send("%s\n%s", "Server debug: this is not JSON-RPC at all", ok)
	case "noise-json": // valid JSON, no id, not JSON-RPC
		s.send(`{"level":"info","msg":"hello"}`+"\n%s", ok)
	case "broken": // cut short after the id
		s.send(`{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"te`, id)
	case "broken-id-last": // broken before the id, as the TypeScript SDK orders members
		s.send(`{"result":{"content":[oops]},"jsonrpc":"2.0","id":%s}`, id)
	case "not-jsonrpc": // valid JSON with the id, wrong version
		s.send(`{"jsonrpc":"1.0","id":%s,"result":{}}`, id)
	case "huge": // id last, written in pieces: never held whole here either
		s.huge(id, size)
	case "hang":
	default:
		s.send(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32602,"message":"unknown tool"}}`, id)
	}
}

func (s *testServer) send(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, format+"\n", args...)
	_ = s.w.Flush()
}

func (s *testServer) huge(id string, size int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.w.WriteString(`{"result":{"content":[{"type":"text","text":"`)
	piece := strings.Repeat("x", 64<<10)
	for n := size; n > 0; n -= len(piece) {
		_, _ = s.w.WriteString(piece[:min(n, len(piece))])
	}
	fmt.Fprintf(s.w, `"}]},"jsonrpc":"2.0","id":%s}`+"\n", id)
	_ = s.w.Flush()
}

// noLeaks fails the test if goroutines started during it are still running at its end.
// Register it first, so that it runs after the test's other cleanups.
func noLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // goroutines end without an event to wait on: poll
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines leaked:\n%s", n-before, buf[:runtime.Stack(buf, true)])
		}
	})
}
