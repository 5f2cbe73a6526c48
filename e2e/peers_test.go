// Package e2e runs the hub, agents and real MCP servers and clients together on loopback.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the repository root (the folder with go.mod).
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// npmBin is an installed npm peer's executable; the test skips (fails on CI) without it.
func npmBin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "e2e", "node_modules", ".bin", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed: run e2e/setup.sh", name)
		}
		t.Skipf("%s is not installed: run e2e/setup.sh", name)
	}
	return p
}

// buildBinary builds a main package once per test binary run.
var built = map[string]string{}

func buildBinary(t testing.TB, pkg string) string {
	t.Helper()
	if p, ok := built[pkg]; ok {
		return p
	}
	out := filepath.Join(binDir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, "./"+pkg)
	cmd.Dir = repoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return out
}

var binDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "mcpgw-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = d
	// Agents started by the tests keep their control socket, logs and update state in a
	// temporary home, never in the real ~/.mcp-gateway-agent.
	os.Setenv("MCPGW_AGENT_HOME", filepath.Join(d, "agent-home"))
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// freePort reserves a free loopback port and returns it. The port is released before the
// peer binds it, so another process may take it first: peers that listen on it are started
// with startOnFreePort, which tries another port when that happens.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// process is a peer process in its own process group, killed with the test.
type process struct {
	cmd   *exec.Cmd
	logs  *strings.Builder
	ended chan struct{} // closed when its output ends: it (and every child) has exited
}

// startOnFreePort starts a peer that serves HTTP on a port it is told (args and env built by
// listen from the port) and waits until url(port) answers. When the peer ends before it
// answers — another process took the port between freePort and the peer's bind, which
// happens on a busy machine — it tries again on another port. It returns the port.
func startOnFreePort(t testing.TB, name string, listen func(port int) (env, args []string), url func(port int) string) int {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		env, args := listen(port)
		p := start(t, env, name, args...)
		if waitHTTPOrEnd(t, url(port), p) {
			return port
		}
		if attempt == 5 {
			t.Fatalf("%s ended before serving, 5 times (last port %d)", filepath.Base(name), port)
		}
		t.Logf("%s ended before serving on port %d; trying another port", filepath.Base(name), port)
	}
}

// waitHTTPOrEnd waits until url answers (true) or p ends (false), up to a generous deadline.
func waitHTTPOrEnd(t testing.TB, url string, p *process) bool {
	t.Helper()
	served := false
	waitFor(t, 60*time.Second, "HTTP "+url, func() bool {
		select {
		case <-p.ended:
			return true
		default:
		}
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		served = true
		return true
	})
	return served
}

func start(t testing.TB, env []string, name string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logs strings.Builder
	pr, pw, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	pw.Close()
	done := make(chan struct{})
	p := &process{cmd: cmd, logs: &logs, ended: done}
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
		}
	}()
	t.Cleanup(func() {
		p.stop()
		<-done
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(name), logs.String())
		}
	})
	return p
}

func (p *process) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// waitHTTP polls url until it answers (any status) or the deadline passes.
func waitHTTP(t testing.TB, url string) {
	t.Helper()
	waitFor(t, 60*time.Second, "HTTP "+url, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
}

// waitFor polls cond every 50 ms until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", d, what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
