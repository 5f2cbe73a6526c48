//go:build unix

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestDrainOnSIGTERM is the hub's graceful drain (docs/DEPLOY.md) with the real binaries: a
// hub and an agent; a client's 8 s call is in flight when the hub gets SIGTERM. During the
// drain /readyz answers 503 "draining" and a new session or agent tunnel gets 503; the call
// completes; the agent is told hub_closing (it logs the hub shutting down, not a lost
// connection) and retries; the hub exits well within drain_timeout. A hub started again on
// the same port gets the agent back.
func TestDrainOnSIGTERM(t *testing.T) {
	hubBin := buildBinary(t, "hub/cmd/mcp-gateway-hub")
	agentBin := buildBinary(t, "agent/cmd/mcp-gateway-agent")
	everything := npmBin(t, "mcp-server-everything")
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "hub.toml")
	body := fmt.Sprintf("listen = \"127.0.0.1:%d\"\ndata_dir = %q\ndrain_timeout = \"40s\"\n\n[limits]\nkey_rate = 0\n", port, filepath.Join(dir, "data"))
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(hubBin, "init", "--config", conf).CombinedOutput()
	owner := ownerKeyRE.FindString(string(out))
	if err != nil || owner == "" {
		t.Fatalf("init: %v\n%s", err, out)
	}
	out, err = exec.Command(hubBin, "agents", "enroll", "laptop", "--config", conf).CombinedOutput()
	agentKey := ownerKeyRE.FindString(string(out))
	if err != nil || agentKey == "" {
		t.Fatalf("agents enroll: %v\n%s", err, out)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	hub := startLogged(t, filepath.Join(dir, "hub1.log"), hubBin, "serve", "--config", conf)
	waitHTTP(t, base+"/readyz")
	agentLog := filepath.Join(dir, "agent.log")
	startLogged(t, agentLog, agentBin, "run", "--headless", "--config",
		writeAgentConfig(t, "ws://127.0.0.1:"+fmt.Sprint(port)+"/agent/ws", agentKey, everything))
	waitAgentTools(t, base+"/mcp", owner)

	// The long call: 8 s in 8 steps; its first progress notification says it runs.
	progress := make(chan struct{}, 16)
	client := mcp.NewClient(&mcp.Implementation{Name: "drain", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { progress <- struct{}{} },
	})
	long, err := client.Connect(ctxFor(t, 30*time.Second), &mcp.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: authClient(owner)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer long.Close()
	type result struct {
		res *mcp.CallToolResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := long.CallTool(ctxFor(t, 60*time.Second), &mcp.CallToolParams{Name: "laptop__everything__trigger-long-running-operation",
			Arguments: map[string]any{"duration": 8, "steps": 8}, Meta: mcp.Meta{"progressToken": "drain-1"}})
		done <- result{res, err}
	}()
	select {
	case <-progress:
	case r := <-done:
		t.Fatalf("the long call ended before the drain: %+v %v", r.res, r.err)
	case <-time.After(60 * time.Second):
		t.Fatal("no progress from the long call within 60 s")
	}

	sigterm := time.Now()
	if err := hub.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var readyBody string
	waitFor(t, 30*time.Second, "/readyz to answer 503 draining", func() bool {
		code, b := getStatus(base+"/readyz", "")
		readyBody = b
		return code == http.StatusServiceUnavailable && strings.Contains(b, "draining")
	})
	draining := time.Since(sigterm)
	if code, b := postInitialize(base+"/mcp", owner); code != http.StatusServiceUnavailable || !strings.Contains(b, "draining") {
		t.Errorf("initialize during the drain: %d %q, want 503 draining", code, b)
	}
	if code, b := getStatus(base+"/agent/ws", agentKey); code != http.StatusServiceUnavailable {
		t.Errorf("agent tunnel during the drain: %d %q, want 503", code, b)
	}

	r := <-done
	callEnded := time.Since(sigterm)
	if r.err != nil || r.res.IsError {
		t.Fatalf("the call in flight at SIGTERM failed: %+v %v", r.res, r.err)
	}
	select {
	case <-hub.ended:
	case <-time.After(40 * time.Second):
		t.Fatalf("the hub did not exit within drain_timeout (40 s) after SIGTERM")
	}
	exited := time.Since(sigterm)
	if code := hub.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("hub exit code %d after SIGTERM, want 0", code)
	}
	hubLogs := readLog(t, hub.log)
	if !strings.Contains(hubLogs, "drained: no call in flight") {
		t.Errorf("the hub's log does not say it drained:\n%s", hubLogs)
	}
	waitFor(t, 30*time.Second, "the agent to log hub_closing", func() bool {
		return strings.Contains(readLog(t, agentLog), "the hub is shutting down; reconnecting")
	})
	t.Logf("SIGTERM → readyz draining %s (last %q) · call completed %s · hub exited %s",
		draining.Round(time.Millisecond), strings.TrimSpace(readyBody), callEnded.Round(time.Millisecond), exited.Round(time.Millisecond))

	// A hub on the same port: the agent, retrying with backoff, comes back.
	restart := time.Now()
	startLogged(t, filepath.Join(dir, "hub2.log"), hubBin, "serve", "--config", conf)
	waitHTTP(t, base+"/readyz")
	waitAgentTools(t, base+"/mcp", owner)
	t.Logf("restart → agent's tools callable again %s", time.Since(restart).Round(time.Millisecond))
}

// waitAgentTools waits until a client of the hub can call the agent's echo tool.
func waitAgentTools(t *testing.T, url, key string) {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "drain-check", Version: "1"}, nil)
	waitFor(t, 60*time.Second, "the agent's tools on "+url, func() bool {
		cs, err := client.Connect(ctxFor(t, 10*time.Second), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: authClient(key)}, nil)
		if err != nil {
			return false
		}
		defer cs.Close()
		_, err = cs.CallTool(ctxFor(t, 10*time.Second), &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: map[string]any{"message": "up"}})
		return err == nil
	})
}

// TestSecondSignalEndsTheDrain: an operator who does not want to wait presses Ctrl-C (or
// sends SIGTERM) again; the hub, draining with a 30 s call in flight, ends at once.
func TestSecondSignalEndsTheDrain(t *testing.T) {
	hubBin := buildBinary(t, "hub/cmd/mcp-gateway-hub")
	everything := npmBin(t, "mcp-server-everything")
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "hub.toml")
	body := fmt.Sprintf("listen = \"127.0.0.1:%d\"\ndata_dir = %q\ndrain_timeout = \"60s\"\n\n[[backends]]\nname = \"everything\"\ntransport = \"stdio\"\ncommand = %q\n",
		port, filepath.Join(dir, "data"), everything)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(hubBin, "init", "--config", conf).CombinedOutput()
	owner := ownerKeyRE.FindString(string(out))
	if err != nil || owner == "" {
		t.Fatalf("init: %v\n%s", err, out)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	hub := startLogged(t, filepath.Join(dir, "hub.log"), hubBin, "serve", "--config", conf)
	waitHTTP(t, base+"/readyz")
	progress := make(chan struct{}, 64)
	client := mcp.NewClient(&mcp.Implementation{Name: "drain", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) {
			select {
			case progress <- struct{}{}:
			default:
			}
		},
	})
	cs, err := client.Connect(ctxFor(t, 30*time.Second), &mcp.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: authClient(owner)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	waitFor(t, 60*time.Second, "the hub's everything backend", func() bool {
		_, err := cs.CallTool(ctxFor(t, 10*time.Second), &mcp.CallToolParams{Name: "everything__echo", Arguments: map[string]any{"message": "up"}})
		return err == nil
	})
	go func() {
		_, _ = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "everything__trigger-long-running-operation",
			Arguments: map[string]any{"duration": 30, "steps": 30}, Meta: mcp.Meta{"progressToken": "drain-2"}})
	}()
	select {
	case <-progress:
	case <-time.After(60 * time.Second):
		t.Fatal("no progress from the long call within 60 s")
	}
	if err := hub.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the hub to drain", func() bool {
		return strings.Contains(readLog(t, hub.log), "draining:")
	})
	if !strings.Contains(readLog(t, hub.log), "calls_in_flight=1") {
		t.Fatalf("the hub drained without the call in flight:\n%s", readLog(t, hub.log))
	}
	// Again each second: the first signal's handler lets go of the signals a moment after
	// the drain starts, and a signal before that is one the drain already had.
	second := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for ended := false; !ended; {
		_ = hub.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-hub.ended:
			ended = true
		case <-tick.C:
			if time.Since(second) > 20*time.Second {
				t.Fatal("the hub kept draining after more SIGTERMs")
			}
		}
	}
	t.Logf("second SIGTERM → exit %s (%s)", time.Since(second).Round(time.Millisecond), hub.cmd.ProcessState)
}

// loggedProcess is a peer whose output goes to a file, readable while it runs.
type loggedProcess struct {
	cmd   *exec.Cmd
	log   string
	ended chan struct{}
}

func startLogged(t *testing.T, logPath, name string, args ...string) *loggedProcess {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &loggedProcess{cmd: cmd, log: logPath, ended: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.ended) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // drains are this test's subject, not its cleanup's
		<-p.ended
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(logPath), readLog(t, logPath))
		}
	})
	return p
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// get returns the status and body of a GET, with a bearer key if given (0 when it fails).
func getStatus(url, key string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return doStatus(req)
}

func postInitialize(url, key string) (int, string) {
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	return doStatus(req)
}

func doStatus(req *http.Request) (int, string) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b)
}
