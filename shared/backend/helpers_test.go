package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// nodeServers locates the real MCP servers installed for the end-to-end tests. Without them
// the test is skipped, except in CI, where it fails.
type nodeServers struct {
	everything, filesystem string // their entry scripts
}

func needNode(t *testing.T) nodeServers {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	mods := filepath.Join(dir, "e2e", "node_modules", "@modelcontextprotocol")
	s := nodeServers{
		everything: filepath.Join(mods, "server-everything", "dist", "index.js"),
		filesystem: filepath.Join(mods, "server-filesystem", "dist", "index.js"),
	}
	_, errE := os.Stat(s.everything)
	_, errF := os.Stat(s.filesystem)
	_, errN := exec.LookPath("node")
	if err := errors.Join(errE, errF, errN); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("real MCP servers missing in CI (run e2e/setup.sh): %v", err)
		}
		t.Skipf("real MCP servers not installed (run e2e/setup.sh to get e2e/node_modules): %v", err)
	}
	return s
}

// logBuffer collects a backend's logs so tests can look for what a server wrote.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

func (l *logBuffer) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.buf.String(), s)
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// running is a backend under test with what it reported.
type running struct {
	*Backend
	logs   *logBuffer
	events chan *jsonrpc.Request
	states chan string
}

// start runs a backend until the test ends and waits until it is ready.
func start(t testing.TB, cfg Config, opts Options) *running {
	t.Helper()
	r := startNoWait(t, cfg, opts)
	r.waitReady(t)
	return r
}

// startNoWait starts the backend and returns without waiting for it to be ready.
func startNoWait(t testing.TB, cfg Config, opts Options) *running {
	t.Helper()
	r := &running{logs: &logBuffer{}, events: make(chan *jsonrpc.Request, 100), states: make(chan string, 100)}
	opts.Logger = r.logs.logger()
	opts.OnEvent = func(_ string, msg *jsonrpc.Request) {
		select {
		case r.events <- msg:
		default:
		}
	}
	opts.OnChange = func(snap protocol.Backend) {
		select {
		case r.states <- snap.State:
		default:
		}
	}
	if opts.BackoffBase == 0 {
		opts.BackoffBase = 20 * time.Millisecond
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r.Backend = New(cfg, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
		if t.Failed() {
			t.Logf("logs of %s:\n%s", cfg.Name, r.logs.buf.String())
		}
	})
	return r
}

func (r *running) waitReady(t testing.TB) {
	t.Helper()
	waitFor(t, 60*time.Second, "backend ready", func() bool {
		return r.Snapshot().State == protocol.StateReady && r.sess.Load() != nil
	})
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// toolCall builds a tools/call request; meta may be nil.
func toolCall(t *testing.T, id any, name string, args, meta map[string]any) *jsonrpc.Request {
	t.Helper()
	params := map[string]any{"name": name, "arguments": args}
	if meta != nil {
		params["_meta"] = meta
	}
	return request(t, id, "tools/call", params)
}

func request(t *testing.T, id any, method string, params any) *jsonrpc.Request {
	t.Helper()
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := id.(int); ok {
		id = float64(n)
	}
	rid, err := jsonrpc.MakeID(id)
	if err != nil {
		t.Fatal(err)
	}
	return &jsonrpc.Request{ID: rid, Method: method, Params: raw}
}

// resultText returns the text of a tools/call result, failing on an error response.
func resultText(t *testing.T, resp *jsonrpc.Response, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	if resp.Error != nil {
		t.Fatalf("error response: %v", resp.Error)
	}
	var res struct {
		Content []struct{ Text string } `json:"content"`
	}
	if err := json.Unmarshal(resp.Result, &res); err != nil {
		t.Fatalf("decode %s: %v", resp.Result, err)
	}
	var texts []string
	for _, c := range res.Content {
		texts = append(texts, c.Text)
	}
	return strings.Join(texts, "\n")
}

func toolNames(snap protocol.Backend) []string {
	var names []string
	for _, raw := range snap.Tools {
		var tool struct{ Name string }
		_ = json.Unmarshal(raw, &tool)
		names = append(names, tool.Name)
	}
	return names
}

func hasTool(snap protocol.Backend, name string) bool { return slices.Contains(toolNames(snap), name) }

// testSink records what a call receives and answers server→client requests with answer.
type testSink struct {
	notes    chan *jsonrpc.Request
	requests chan *jsonrpc.Request
	answer   func(*jsonrpc.Request) (*jsonrpc.Response, error)
}

func newSink(answer func(*jsonrpc.Request) (*jsonrpc.Response, error)) *testSink {
	return &testSink{notes: make(chan *jsonrpc.Request, 100), requests: make(chan *jsonrpc.Request, 10), answer: answer}
}

func (s *testSink) Notify(msg *jsonrpc.Request) { s.notes <- msg }

func (s *testSink) Request(ctx context.Context, req *jsonrpc.Request) (*jsonrpc.Response, error) {
	s.requests <- req
	if s.answer == nil {
		return nil, errors.New("no answer")
	}
	return s.answer(req)
}
