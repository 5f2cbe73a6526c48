//go:build !windows

package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
)

// holdEnv makes the test binary hold a control socket until killed, to play a live agent.
const holdEnv = "MCPGW_TEST_HOLD_SOCKET"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		ln, err := Listen(path)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		for {
			if c, err := ln.Accept(); err == nil {
				_ = c.Close()
			}
		}
	}
	os.Exit(m.Run())
}

// sockPath is short: unix socket paths are limited to about 100 bytes.
func sockPath(t *testing.T) string {
	dir, err := os.MkdirTemp("", "mcpgw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return filepath.Join(dir, "home", "agent.sock")
}

func TestListenIsPrivateAndExclusive(t *testing.T) {
	path := sockPath(t)
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, want 0700", di.Mode().Perm())
	}
	if _, err := Listen(path); !errors.Is(err, ErrAgentRunning) || !strings.Contains(err.Error(), "dashboard") {
		t.Fatalf("second Listen: %v, want ErrAgentRunning", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the refused Listen touched the live socket: %v", err)
	}
	_ = ln.Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left after Close: %v", err)
	}
	ln, err = Listen(path)
	if err != nil {
		t.Fatalf("Listen after Close: %v", err)
	}
	_ = ln.Close()
}

// A live agent in another process keeps the socket; once it is killed (leaving its socket
// file behind), the next agent removes the stale file and takes over.
func TestLiveAgentKeepsItStaleSocketIsReplaced(t *testing.T) {
	path := sockPath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("helper: %q", line)
	}
	if _, err := Listen(path); !errors.Is(err, ErrAgentRunning) {
		t.Fatalf("Listen while another process holds the socket: %v", err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the killed agent's socket file should still be there (stale): %v", err)
	}
	ln, err := Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	_ = ln.Close()
}

func TestListenRefusesANonSocket(t *testing.T) {
	path := sockPath(t)
	_ = os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen over a regular file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Fatal("Listen clobbered a regular file")
	}
}

// serve starts a Server for tr on a fresh socket.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	path := sockPath(t)
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return path
}

func TestOps(t *testing.T) {
	tr := status.New(status.Options{Version: "v1", AgentID: "laptop"})
	tr.Connected("hub-1")
	tr.Call(status.Call{Tool: "read_file", Status: status.CallOK})
	var reconnects atomic.Int32
	path := serve(t, &Server{Tracker: tr, Reconnect: func() { reconnects.Add(1) }})
	c := &Client{Path: path}
	ctx := context.Background()
	snap, err := c.Snapshot(ctx)
	if err != nil || snap.AgentID != "laptop" || snap.State != status.StateConnected || len(snap.Calls) != 1 || snap.Calls[0].Tool != "read_file" {
		t.Fatalf("snapshot = %+v, %v", snap, err)
	}
	if err := c.Reconnect(ctx); err != nil || reconnects.Load() != 1 {
		t.Fatalf("reconnect: %v, %d calls", err, reconnects.Load())
	}
	if _, err := c.CheckUpdate(ctx); err == nil || !strings.Contains(err.Error(), "not available in this build") {
		t.Fatalf("check_update without a checker: %v", err)
	}

	path = serve(t, &Server{Tracker: tr, CheckUpdate: func(context.Context) (string, error) { return "v2 is available", nil }})
	c = &Client{Path: path}
	if msg, err := c.CheckUpdate(ctx); err != nil || msg != "v2 is available" {
		t.Fatalf("check_update: %q %v", msg, err)
	}
	if err := c.Reconnect(ctx); err == nil {
		t.Fatal("reconnect without a Reconnect func succeeded")
	}
	if _, err := (&Client{Path: path + ".missing"}).Snapshot(ctx); err == nil || !strings.Contains(err.Error(), "no running agent") {
		t.Fatalf("snapshot without an agent: %v", err)
	}
}

// Bad lines get a clear error and the connection stays usable; an overlong line ends it.
func TestBadRequests(t *testing.T) {
	path := serve(t, &Server{Tracker: status.New(status.Options{})})
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := newReader(conn)
	for _, tc := range []struct{ line, want string }{
		{`not json`, "bad request: want a JSON object"},
		{`{"op":"frobnicate"}`, `unknown op "frobnicate"; want one of snapshot, subscribe, reconnect, check_update`},
		{`{}`, `no "op"`},
		{`{"op":"snapshot","extra":1}`, ""},
	} {
		fmt.Fprintln(conn, tc.line)
		m, err := r.next()
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" && m.Type != TypeSnapshot || tc.want != "" && (m.Type != TypeError || !strings.Contains(m.Error, tc.want)) {
			t.Errorf("%s → %+v", tc.line, m)
		}
	}
	fmt.Fprintln(conn, `{"op":"`+strings.Repeat("x", MaxRequestLine)+`"}`)
	if m, err := r.next(); err != nil || !strings.Contains(m.Error, "longer than") {
		t.Fatalf("overlong line: %+v %v", m, err)
	}
	if _, err := r.next(); err == nil {
		t.Fatal("connection still open after an overlong line")
	}
}

// Only the agent's own user may use the socket: checked on the peer's credentials too, not
// only by the socket's mode (which some systems do not enforce).
func TestOtherUsersAreRefused(t *testing.T) {
	tr := status.New(status.Options{AgentID: "laptop"})
	me := &Client{Path: serve(t, &Server{Tracker: tr})}
	if _, err := me.Snapshot(context.Background()); err != nil {
		t.Fatalf("the agent's own user: %v", err)
	}
	other := &Client{Path: serve(t, &Server{Tracker: tr, uid: os.Getuid() + 1})}
	_, err := other.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("user %d may not use the control socket", os.Getuid())) {
		t.Fatalf("a connection from another user: %v", err)
	}
}

// The Windows pipe name is stable for a path, the same whatever the case of its letters,
// and different for another home.
func TestPipeName(t *testing.T) {
	a := PipeName("/home/me/.mcp-gateway-agent/agent.sock")
	if a != PipeName("/home/me/.mcp-gateway-agent/agent.sock") || a != PipeName("/HOME/me/.mcp-gateway-agent/agent.sock") {
		t.Errorf("pipe name not stable: %s", a)
	}
	if a == PipeName("/home/you/.mcp-gateway-agent/agent.sock") {
		t.Error("two homes share a pipe")
	}
	if !strings.HasPrefix(a, `\\.\pipe\mcp-gateway-agent-`) || len(a) != len(`\\.\pipe\mcp-gateway-agent-`)+16 {
		t.Errorf("pipe name %q", a)
	}
}
