package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/update"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// Signed self-update with real binaries: agents built with different versions and a release
// key, a real hub serving a signed release directory, the agent updating its own binary,
// refusing tampered, badly signed and older releases, and rolling back a version that cannot
// reach the hub.
func TestSelfUpdate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the rollback re-execs the agent, which needs a unix system")
	}
	pub, privText, err := release.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := release.ParsePrivateKey(privText)
	bins := map[string][]byte{}
	for _, v := range []string{"v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"} {
		bins[v] = buildAgentVersion(t, v, pub)
	}
	relDir := t.TempDir()
	publish := func(v string) {
		t.Helper()
		os.RemoveAll(filepath.Join(relDir, v))
		if err := release.WriteRelease(relDir, v, priv, map[string][]byte{runtime.GOOS + "/" + runtime.GOARCH: bins[v]}); err != nil {
			t.Fatal(err)
		}
	}
	publish("v1.1.0")
	hub := hubtest.Start(t, func(c *config.Config) { c.Releases.Dir = relDir })
	key := hub.EnrollAgent(t, "laptop")
	gate := startGate(t, strings.TrimPrefix(hub.URL, "http://"))

	home := t.TempDir()
	bin := filepath.Join(home, "bin", "mcp-gateway-agent")
	os.MkdirAll(filepath.Dir(bin), 0o755)
	if err := os.WriteFile(bin, bins["v1.0.0"], 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(home, "config.toml")
	writeConf := func(auto string) {
		os.WriteFile(conf, fmt.Appendf(nil, "[agent]\nagent_id = \"laptop\"\ngateway_url = \"ws://%s/agent/ws\"\napi_key = %q\n"+
			"dashboard_url = %q\nupdate_grace = \"3s\"\n%s", gate.addr(), key, hub.URL, auto), 0o600)
	}
	writeConf("auto_update = false\n")
	env := []string{"MCPGW_AGENT_HOME=" + home}
	hubSees := func(v string) {
		t.Helper()
		waitFor(t, 60*time.Second, "the hub to see laptop at "+v, func() bool {
			for _, a := range hub.Server.Agents.List() {
				if a.ID == "laptop" && a.Version == v {
					return true
				}
			}
			return false
		})
	}
	cli := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append(args, "--config", conf)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	binaryIs := func(v string) {
		t.Helper()
		if b, _ := os.ReadFile(bin); !bytes.Equal(b, bins[v]) {
			t.Fatalf("the installed binary is not %s", v)
		}
	}

	agent := startAgent(t, env, bin, conf)
	hubSees("v1.0.0")

	t.Run("update by hand, restart, reconnect", func(t *testing.T) {
		out, err := cli("update", "--check")
		if err != nil || !strings.Contains(out, "update available: v1.1.0 (running v1.0.0)") {
			t.Fatalf("update --check: %v\n%s", err, out)
		}
		binaryIs("v1.0.0")
		out, err = cli("update")
		if err != nil || !strings.Contains(out, "from v1.0.0 to v1.1.0") {
			t.Fatalf("update: %v\n%s", err, out)
		}
		// No service here (issue 12: it said `service restart` regardless; this agent runs
		// with --socket off, so it is not seen either), and the archive's download progress.
		if strings.Contains(out, "service restart") || !strings.Contains(out, "no service is installed: restart the agent if one is running") ||
			!strings.Contains(out, "downloading: 100%") {
			t.Errorf("update's advice or progress:\n%s", out)
		}
		binaryIs("v1.1.0")
		if b, _ := os.ReadFile(bin + update.OldSuffix); !bytes.Equal(b, bins["v1.0.0"]) {
			t.Fatal("the previous binary was not kept")
		}
		agent.stop(t)
		agent = startAgent(t, env, bin, conf)
		hubSees("v1.1.0")
		waitFor(t, 30*time.Second, "the update to be confirmed", func() bool {
			st, err := update.LoadState(filepath.Join(home, "update-state.json"))
			return err == nil && st.Pending == nil && agent.logged("update confirmed")
		})
		if out, _ := cli("update"); !strings.Contains(out, "up to date: running v1.1.0") {
			t.Errorf("update at the newest version: %s", out)
		}
	})

	refused := func(t *testing.T, want string) {
		t.Helper()
		out, err := cli("update")
		if err == nil || !strings.Contains(out, want) {
			t.Fatalf("update: %v, want a refusal with %q:\n%s", err, want, out)
		}
		binaryIs("v1.1.0")
	}
	t.Run("tampered archive refused", func(t *testing.T) {
		publish("v1.2.0")
		var evil bytes.Buffer
		release.WriteArchive(&evil, runtime.GOOS, append(bins["v1.2.0"], "backdoor"...))
		os.WriteFile(filepath.Join(relDir, "v1.2.0", release.ArchiveName("v1.2.0", runtime.GOOS, runtime.GOARCH)), evil.Bytes(), 0o644)
		refused(t, "tampered")
	})
	t.Run("bad signature refused", func(t *testing.T) {
		publish("v1.2.0")
		_, otherText, _ := release.GenerateKey()
		other, _ := release.ParsePrivateKey(otherText)
		sums := filepath.Join(relDir, "v1.2.0", release.ChecksumsFile)
		text, _ := os.ReadFile(sums)
		os.WriteFile(sums+".sig", release.Sign(other, text), 0o644)
		refused(t, "wrong signature")
	})
	t.Run("downgrade refused", func(t *testing.T) {
		os.RemoveAll(filepath.Join(relDir, "v1.1.0"))
		os.RemoveAll(filepath.Join(relDir, "v1.2.0"))
		publish("v1.0.0")
		if out, _ := cli("update", "--check"); !strings.Contains(out, "offers v1.0.0; not newer") {
			t.Errorf("update --check offered an older version: %s", out)
		}
		refused(t, "refusing to downgrade from v1.1.0 to v1.0.0")
	})

	t.Run("rollback when the new version cannot reach the hub", func(t *testing.T) {
		publish("v1.2.0")
		if out, err := cli("update"); err != nil {
			t.Fatalf("update: %v\n%s", err, out)
		}
		binaryIs("v1.2.0")
		agent.stop(t)
		waitFor(t, 30*time.Second, "the hub to drop the stopped agent", func() bool { return !hub.Server.Agents.Connected("laptop") })
		gate.down.Store(true) // the hub is unreachable for the new version
		agent = startAgent(t, env, bin, conf)
		waitFor(t, 60*time.Second, "the rollback", func() bool { return agent.logged("rolling back") })
		waitFor(t, 30*time.Second, "the previous binary back in place", func() bool {
			b, _ := os.ReadFile(bin)
			return bytes.Equal(b, bins["v1.1.0"])
		})
		gate.down.Store(false)
		hubSees("v1.1.0") // the same process, re-executed as the previous version
		if agent.exited() {
			t.Fatal("the agent exited instead of restarting")
		}
		st, _ := update.LoadState(filepath.Join(home, "update-state.json"))
		if st.Pending != nil || !st.WasRolledBack("v1.2.0") {
			t.Fatalf("state after the rollback: %+v", st)
		}
	})

	t.Run("headless agent updates itself and re-executes", func(t *testing.T) {
		publish("v1.3.0")
		agent.stop(t)
		writeConf("update_interval = \"1s\"\n") // auto_update defaults to true
		agent = startAgent(t, env, bin, conf)
		hubSees("v1.3.0")
		binaryIs("v1.3.0")
		waitFor(t, 30*time.Second, "the automatic update to be confirmed", func() bool { return agent.logged("update confirmed") })
		if agent.exited() {
			t.Fatal("the agent exited instead of restarting")
		}
	})
}

// buildAgentVersion builds the agent with a version and a release key set by ldflags.
func buildAgentVersion(t *testing.T, version, key string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "mcp-gateway-agent")
	pkg := "github.com/mcp-gateway/mcp-gateway/shared/version"
	cmd := exec.Command("go", "build", "-o", out, "-ldflags",
		"-X "+pkg+".Version="+version+" -X "+pkg+".ReleaseKey="+key, "./agent/cmd/mcp-gateway-agent")
	cmd.Dir = repoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", version, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// agentProc is a running agent whose output can be read while it runs.
type agentProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func startAgent(t *testing.T, env []string, bin, conf string) *agentProc {
	t.Helper()
	p := &agentProc{done: make(chan struct{})}
	p.cmd = exec.Command(bin, "run", "--headless", "--socket", "off", "--config", conf)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("agent output:\n%s", p.output())
		}
	})
	return p
}

func (p *agentProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *agentProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *agentProc) logged(s string) bool { return strings.Contains(p.output(), s) }

func (p *agentProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *agentProc) stop(t *testing.T) {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		t.Error("the agent did not stop on SIGTERM")
	}
}

// gate is a TCP forwarder to the hub that can refuse connections, so that a version under
// test cannot reach the hub while everything else stays real.
type gate struct {
	ln   net.Listener
	down atomic.Bool
}

func startGate(t *testing.T, hubAddr string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if g.down.Load() {
				c.Close()
				continue
			}
			go g.forward(ctx, c, hubAddr)
		}
	}()
	return g
}

func (g *gate) addr() string { return g.ln.Addr().String() }

func (g *gate) forward(ctx context.Context, c net.Conn, hubAddr string) {
	defer c.Close()
	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", hubAddr)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
}
