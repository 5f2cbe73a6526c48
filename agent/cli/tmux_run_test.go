//go:build !windows

package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type bearer struct{ key string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

// hubSession connects to the hub as its owner and waits until it lists laptop__echo__echo.
func hubSession(t *testing.T, h *hub) *mcp.ClientSession {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "tmux-test", Version: "1"}, nil)
	sess, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.url + "/mcp",
		HTTPClient: &http.Client{Transport: bearer{h.ownerKey}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	for {
		res, err := sess.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(res.Tools, func(tl *mcp.Tool) bool { return tl.Name == echoTool }) {
			return sess
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the hub never listed %s", echoTool)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

const echoTool = "laptop__echo__echo"

func callEcho(sess *mcp.ClientSession) error {
	res, err := sess.CallTool(context.Background(), &mcp.CallToolParams{Name: echoTool, Arguments: map[string]any{"text": "hi"}})
	if err == nil && res.IsError {
		err = fmt.Errorf("tool error: %+v", res.Content)
	}
	return err
}

// burst makes n calls from 16 goroutines and returns when they are done.
func burst(t *testing.T, sess *mcp.ClientSession, n int) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				if err := callEcho(sess); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestTUIUnderTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent and runs it under tmux")
	}
	x := startTmux(t)
	bin := buildAgent(t)
	h := startHub(t)
	home := shortTemp(t)
	conf := filepath.Join(home, "config.toml")
	toml := fmt.Sprintf(`[agent]
agent_id = "laptop"
gateway_url = %q
api_key = %q

[[backends]]
name = "echo"
transport = "stdio"
command = %q
args = ["-test.run=^$"]
[backends.env]
%s = "1"
`, "ws"+strings.TrimPrefix(h.url, "http")+"/agent/ws", h.agentKey, os.Args[0], echoServerEnv)
	if err := os.WriteFile(conf, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"MCPGW_AGENT_HOME=" + home}

	agent := x.window("agent", env, bin, "run", "--config", conf)
	x.waitScreen(agent, "mcp-gateway-agent dev · run", "laptop → ws://127.0.0.1:", "● connected", "▶ Backends (1)", "echo", "ready")

	sess := hubSession(t, h)
	if err := callEcho(sess); err != nil {
		t.Fatal(err)
	}
	t.Logf("the agent's pane after a call through the hub:\n%s",
		x.waitScreen(agent, "Recent calls (1 shown, 1 total)", "owner", "echo/echo", "ok"))

	// A burst of calls: the keys still answer at once, and the panel keeps the last 200.
	done := make(chan struct{})
	go func() { defer close(done); burst(t, sess, 2000) }()
	x.waitScreen(agent, "total)") // let the burst get going
	pressed := time.Now()
	x.keys(agent, "Tab")
	x.waitScreen(agent, "▶ Recent calls")
	t.Logf("during a burst of calls, tab took %s to show", time.Since(pressed).Round(time.Millisecond))
	<-done
	x.waitScreen(agent, "Recent calls (200 shown, 2001 total)")
	x.keys(agent, "BTab")
	x.waitScreen(agent, "▶ Backends")

	x.run("resize-window", "-t", agent, "-x", "90", "-y", "30")
	x.waitScreen(agent, "╭"+strings.Repeat("─", 88)+"╮\n", "Logs (")
	x.run("resize-window", "-t", agent, "-x", "160", "-y", "45")
	x.waitScreen(agent, "╭"+strings.Repeat("─", 158)+"╮\n")

	sock := filepath.Join(home, "agent.sock")
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket %s: %v %v, want a socket with mode 0600", sock, fi.Mode(), err)
	}
	dash := x.window("dash", env, bin, "dashboard")
	x.waitScreen(dash, "mcp-gateway-agent dev · dashboard", "● connected", "echo/echo", "connected to the hub")
	x.keys(dash, "?")
	x.waitScreen(dash, "Help — esc or ? to close", "reconnect now")
	x.keys(dash, "q")
	if st := x.waitExit(dash); st != "0" {
		t.Fatalf("dashboard exited with %s", st)
	}
	x.waitScreen(agent, "● connected") // the agent did not notice the dashboard leave

	// A key the hub does not know: refused, with the hub's reason, retried slowly.
	badSock := filepath.Join(home, "bad.sock")
	bad := x.window("bad", append(env, "MCPGW_API_KEY=mcpgw_not_a_key_this_hub_knows"), bin, "run", "--config", conf, "--socket", badSock)
	t.Logf("an agent with a bad key:\n%s", x.waitScreen(bad, "✖ refused: HTTP 401", "retry in 4m"))
	// Closing its terminal (SIGHUP) shuts it down cleanly: its socket is removed.
	x.run("kill-window", "-t", bad)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(badSock); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent whose terminal was closed did not shut down cleanly (its socket is still there)")
		}
	}

	h.stop()
	t.Logf("after the hub stopped:\n%s", x.waitScreen(agent, "reconnecting", "the hub is shutting down"))
	x.keys(agent, "r")
	x.waitScreen(agent, "reconnect asked for")
	x.keys(agent, "Tab")
	x.waitScreen(agent, "▶ Recent calls")
	x.keys(agent, "?")
	x.waitScreen(agent, "Help — esc or ? to close", "check for updates")
	x.keys(agent, "q")
	if st := x.waitExit(agent); st != "0" {
		t.Fatalf("agent exited with %s:\n%s", st, x.run("capture-pane", "-p", "-t", agent))
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("control socket left after the agent quit: %v", err)
	}
}
