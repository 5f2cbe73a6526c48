package agents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

const (
	laptopKey = "mcpgw_test_agent_laptop"
	userKey   = "mcpgw_test_user_alice"
)

type keys map[string]auth.Identity

func (k keys) Lookup(p string) (auth.Identity, bool) { id, ok := k[p]; return id, ok }

var testKeys = keys{
	laptopKey: {KeyID: "key_laptop", Name: "laptop", Kind: "agent", AgentID: "laptop"},
	userKey:   {KeyID: "key_alice", UserID: "usr_alice", Name: "alice", Role: "admin", Kind: "user"},
}

// logBuf collects slog text output for assertions.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitFor waits until every substring appears in one log line.
func (l *logBuf) waitFor(t testing.TB, subs ...string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(l.String(), "\n") {
			if containsAll(line, subs) {
				return line
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no log line with %q in:\n%s", subs, l.String())
	return ""
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

type change struct {
	id        string
	backends  []protocol.Backend
	connected bool
}

// testHub is a Registry served by an httptest server on 127.0.0.1.
type testHub struct {
	reg     *agents.Registry
	srv     *httptest.Server
	log     *logBuf
	changes chan change
	events  chan protocol.Event
}

// startHub serves a registry on addr ("" for any free port); tweaks adjust its options.
func startHub(t testing.TB, addr string, tweaks ...func(*agents.Options)) *testHub {
	t.Helper()
	h := &testHub{log: &logBuf{}, changes: make(chan change, 100), events: make(chan protocol.Event, 100)}
	opts := agents.Options{
		Logger: h.log.logger(), Keys: testKeys, HubVersion: "hub-test",
		OnChange: func(id string, b []protocol.Backend, connected bool) { h.changes <- change{id, b, connected} },
		OnEvent:  func(_ string, ev protocol.Event) { h.events <- ev },
	}
	for _, tweak := range tweaks {
		tweak(&opts)
	}
	h.reg = agents.New(opts)
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewUnstartedServer(h.reg)
	h.srv.Listener = ln
	h.srv.Start()
	t.Cleanup(h.stop)
	return h
}

func (h *testHub) url() string { return "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/agent/ws" }

func (h *testHub) stop() {
	h.reg.Close()
	h.srv.Close()
}

// waitChange returns the next change for id that satisfies ok.
func (h *testHub) waitChange(t testing.TB, id string, ok func(change) bool) change {
	t.Helper()
	timeout := time.After(60 * time.Second) // generous: a starved machine starts the backend slowly
	for {
		select {
		case c := <-h.changes:
			if c.id == id && ok(c) {
				return c
			}
		case <-timeout:
			t.Fatalf("no matching change for agent %q; hub log:\n%s", id, h.log.String())
		}
	}
}

// waitReady waits until the agent is connected with its backend "everything" ready.
func (h *testHub) waitReady(t testing.TB, id string) change {
	t.Helper()
	return h.waitChange(t, id, func(c change) bool {
		return c.connected && len(c.backends) == 1 && c.backends[0].State == protocol.StateReady && len(c.backends[0].Tools) > 0
	})
}

// everything is the path of the npm everything server; the test skips without it, or
// fails when CI is set.
func everything(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = filepath.Dir(dir)
	}
	p := filepath.Join(dir, "e2e", "node_modules", ".bin", "mcp-server-everything")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: run e2e/setup.sh", p)
		}
		t.Skipf("%s is missing: run e2e/setup.sh", p)
	}
	return p
}

func agentConfig(t testing.TB, url, id, key string) *config.Config {
	cfg := config.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = id, url, key
	cfg.Backends = []backend.Config{{Name: "everything", Transport: "stdio", Command: everything(t), Args: []string{"stdio"}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

type testAgent struct {
	log    *logBuf
	cancel context.CancelFunc
	done   chan error
}

// startAgent runs a connector in this process until the test ends.
func startAgent(t testing.TB, cfg *config.Config) *testAgent {
	t.Helper()
	ta := &testAgent{log: &logBuf{}, done: make(chan error, 1)}
	a, err := connector.New(cfg, connector.Options{
		Logger: ta.log.logger(), Version: "agent-test", RefusedRetry: time.Second,
		Backoff: connector.Backoff{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ta.cancel = cancel
	go func() { ta.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ta.done:
		case <-time.After(60 * time.Second):
			t.Error("agent did not stop within 60 s")
		}
	})
	return ta
}

func toolCall(t testing.TB, id int64, tool string, args any, progressToken any) *jsonrpc.Request {
	t.Helper()
	params := map[string]any{"name": tool, "arguments": args}
	if progressToken != nil {
		params["_meta"] = map[string]any{"progressToken": progressToken}
	}
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	rid, err := jsonrpc.MakeID(float64(id))
	if err != nil {
		t.Fatal(err)
	}
	return &jsonrpc.Request{ID: rid, Method: "tools/call", Params: raw}
}

// recSink records notifications and answers server→client requests with answer.
type recSink struct {
	notes  chan *jsonrpc.Request
	answer func(*jsonrpc.Request) (*jsonrpc.Response, error)
}

func newSink() *recSink { return &recSink{notes: make(chan *jsonrpc.Request, 100)} }

func (s *recSink) Notify(n *jsonrpc.Request) { s.notes <- n }

func (s *recSink) Request(ctx context.Context, req *jsonrpc.Request) (*jsonrpc.Response, error) {
	if s.answer == nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "no"}
	}
	return s.answer(req)
}

// rawAgent speaks the protocol by hand, for what a well-behaved connector never does.
type rawAgent struct {
	sess   *tunnel.Session
	ctrl   *yamux.Stream
	direct bool // its hello said capability 4: the hub opens direct call streams
}

// acceptCall accepts the next call stream the hub opens: a direct stream if the agent's
// hello said capability 4, else a yamux stream.
func (a *rawAgent) acceptCall() (tunnel.Stream, error) {
	if a.direct {
		return a.sess.Direct().Accept()
	}
	return a.sess.AcceptStream()
}

// dialRaw connects, sends hello, and returns the first control frame of the hub's answer.
func dialRaw(t testing.TB, url, key string, hello any) (*rawAgent, protocol.Type, []byte) {
	t.Helper()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+key)
	hl, _ := hello.(protocol.Hello)
	direct := hl.Capability >= protocol.CapabilityDirect
	sess, _, err := tunnel.Dial(context.Background(), tunnel.DialConfig{URL: url, Header: h, Direct: direct})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	ctrl, err := sess.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	typ := protocol.TypeHello
	if _, isUpdate := hello.(protocol.Update); isUpdate {
		typ = protocol.TypeUpdate
	}
	if err := protocol.WriteJSON(ctrl, typ, hello); err != nil {
		t.Fatal(err)
	}
	_ = ctrl.SetReadDeadline(time.Now().Add(5 * time.Second))
	ft, payload, err := protocol.ReadFrame(ctrl)
	if err != nil {
		t.Fatalf("no answer to hello: %v", err)
	}
	_ = ctrl.SetReadDeadline(time.Time{})
	return &rawAgent{sess: sess, ctrl: ctrl, direct: direct}, ft, payload
}

func hello(id string) protocol.Hello {
	return protocol.Hello{AgentID: id, Version: "raw", Capability: protocol.CapabilityVersion}
}

// nextRefusal reads control frames until a refusal.
func (a *rawAgent) nextRefusal(t testing.TB) protocol.Refusal {
	t.Helper()
	_ = a.ctrl.SetReadDeadline(time.Now().Add(5 * time.Second))
	var r protocol.Refusal
	if err := protocol.ReadJSON(a.ctrl, protocol.TypeRefusal, &r); err != nil {
		t.Fatalf("want a refusal: %v", err)
	}
	return r
}

// childPIDs lists this process's children whose command line contains match (Linux).
func childPIDs(t testing.TB, parent int, match string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc: cannot check backend processes here")
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may contain spaces, so split after the last ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(parent) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if bytes.Contains(cmdline, []byte(match)) {
			out = append(out, pid)
		}
	}
	return out
}
