//go:build unix

package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// TestClusterKill9 runs two real hub processes on one PostgreSQL with [cluster], an agent
// process (server-everything over stdio) connected to hub A through a TCP forwarder, and a
// go-sdk client on hub B. B lists and calls the agent's tools through A; then A is killed
// with SIGKILL during a long call: the call fails fast, B drops the agent once A's lease runs
// out, and once the forwarder points at B the agent reconnects there and calls work again.
func TestClusterKill9(t *testing.T) {
	pg := storetest.PostgresURL(t)
	hubBin := buildBinary(t, "hub/cmd/mcp-gateway-hub")
	agentBin := buildBinary(t, "agent/cmd/mcp-gateway-agent")
	everything := npmBin(t, "mcp-server-everything")
	mk := make([]byte, 32)
	for i := range mk {
		mk[i] = byte(i*5 + 1)
	}
	env := []string{"DATABASE_URL=" + pg, "MCPGW_MASTER_KEY=" + hex.EncodeToString(mk)}
	conf := func(id string, port int) string {
		path := filepath.Join(t.TempDir(), "hub.toml")
		body := fmt.Sprintf("listen = \"127.0.0.1:%d\"\ndata_dir = %q\ndatabase_url = %q\n\n[limits]\nkey_rate = 0\n\n[cluster]\nurl = \"http://127.0.0.1:%d\"\nid = %q\n",
			port, t.TempDir(), pg, port, id)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	run := func(args ...string) string {
		cmd := exec.Command(hubBin, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	portA, portB := freePort(t), freePort(t)
	confA, confB := conf("hub-a", portA), conf("hub-b", portB)
	ownerKey := ownerKeyRE.FindString(run("init", "--config", confA, "--database-url", pg))
	agentKey := ownerKeyRE.FindString(run("agents", "enroll", "laptop", "--config", confA))
	if ownerKey == "" || agentKey == "" {
		t.Fatal("no owner or agent key in the CLI's output")
	}
	hubA := start(t, env, hubBin, "serve", "--config", confA)
	start(t, env, hubBin, "serve", "--config", confB)
	urlA, urlB := fmt.Sprintf("http://127.0.0.1:%d", portA), fmt.Sprintf("http://127.0.0.1:%d", portB)
	waitHTTP(t, urlA+"/healthz")
	waitHTTP(t, urlB+"/healthz")

	lb := forwarder(t, fmt.Sprintf("127.0.0.1:%d", portA))
	agentConf := writeAgentConfig(t, "ws://"+lb.addr+"/agent/ws", agentKey, everything)
	start(t, nil, agentBin, "run", "--config", agentConf)

	ctx := context.Background()
	listed := func() bool {
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "lister", Version: "1"}, nil).Connect(ctx,
			&mcp.StreamableClientTransport{Endpoint: urlB + "/mcp", HTTPClient: authClient(ownerKey)}, nil)
		if err != nil {
			return false
		}
		defer cs.Close()
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			return false
		}
		return slices.ContainsFunc(res.Tools, func(tl *mcp.Tool) bool { return tl.Name == "laptop__everything__echo" })
	}
	waitFor(t, 60*time.Second, "hub B lists the agent on hub A", listed)
	progress := make(chan struct{}, 64)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "kill9", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) {
			select {
			case progress <- struct{}{}:
			default:
			}
		},
	}).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: urlB + "/mcp", HTTPClient: authClient(ownerKey)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	echo := func() error {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: map[string]any{"message": "through the cluster"}})
		if err == nil && res.IsError {
			err = fmt.Errorf("tool error: %s", text(res.Content))
		}
		return err
	}
	if err := echo(); err != nil {
		t.Fatalf("echo through B: %v", err)
	}

	// A long call through B to the agent on A, then kill -9 A.
	errc := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__trigger-long-running-operation",
			Arguments: map[string]any{"duration": 60, "steps": 60}, Meta: mcp.Meta{"progressToken": "kill9-1"}})
		errc <- err
	}()
	// Its first progress notification says it runs on the agent behind hub A.
	select {
	case <-progress:
	case err := <-errc:
		t.Fatalf("the long call ended before the kill: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("no progress from the long call within 60 s")
	}
	killed := time.Now()
	if err := syscall.Kill(-hubA.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("the call in flight on the killed hub succeeded")
		}
		t.Logf("in-flight call failed %v after kill -9: %v", time.Since(killed), err)
	case <-time.After(60 * time.Second):
		t.Fatal("the call in flight on the killed hub did not end within 60 s")
	}
	waitFor(t, 60*time.Second, "hub B drops the dead hub's agent", func() bool { return !listed() })
	t.Logf("hub B dropped the agent %v after kill -9 (lease 6 s)", time.Since(killed))

	// The balancer now sends the agent to B.
	moved := time.Now()
	lb.target.Store(fmt.Sprintf("127.0.0.1:%d", portB))
	waitFor(t, 60*time.Second, "the agent is back, on hub B", listed)
	waitFor(t, 60*time.Second, "echo through B again", func() bool { return echo() == nil })
	t.Logf("agent callable through B %v after the balancer moved it", time.Since(moved))
}

// tcpForwarder forwards each TCP connection to its current target: a load balancer that
// moves the agents from a dead hub to a live one.
type tcpForwarder struct {
	addr   string
	target atomic.Value // string
}

func forwarder(t *testing.T, target string) *tcpForwarder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &tcpForwarder{addr: ln.Addr().String()}
	f.target.Store(target)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", f.target.Load().(string))
				if err != nil {
					return
				}
				defer u.Close()
				go func() { _, _ = io.Copy(u, c); u.Close() }()
				_, _ = io.Copy(c, u)
			}()
		}
	}()
	return f
}
