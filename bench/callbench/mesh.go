package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/profile"
)

// mesh holds the processes under test: a hub serving the stdio server as its own backend
// "srv" and an agent serving it as "bench"'s backend "srv" (and optionally a peer proxy).
type mesh struct {
	url, key string
	hubPID   int
	agentPID int
	procs    []*exec.Cmd
	dir      string
	prof     func(name string) []string // the environment entries asking a process for its profiles (and a trace under -exectrace)
}

var keyRE = regexp.MustCompile(`mcpgw_[A-Za-z0-9_-]+`)

// startMesh builds the hub and agent from root, or takes them from binDir when it is set
// (a baseline build: mcp-gateway-hub and mcp-gateway-agent), and starts them.
// With traceURL set, the hub and the agent export their spans there ([tracing] endpoint).
func startMesh(ctx context.Context, b bench, binDir, profDir, traceURL string) (_ *mesh, err error) {
	root, srv := b.root, b.srv
	dir, err := os.MkdirTemp("", "callbench")
	if err != nil {
		return nil, err
	}
	m := &mesh{dir: dir}
	defer func() {
		if err != nil { // stop what was started; the caller only closes a mesh it got
			m.close()
		}
	}()
	if profDir != "" {
		if profDir, err = filepath.Abs(profDir); err != nil {
			return nil, err
		}
		m.prof = func(name string) []string {
			env := []string{profile.EnvCPU + "=" + filepath.Join(profDir, name+".pprof"),
				profile.EnvMem + "=" + filepath.Join(profDir, name+".allocs")}
			if b.exectrace {
				env = append(env, profile.EnvTrace+"="+filepath.Join(profDir, name+".trace"))
			}
			return env
		}
	}
	hubBin, agentBin := filepath.Join(dir, "hub"), filepath.Join(dir, "agent")
	if binDir != "" {
		hubBin, agentBin = filepath.Join(binDir, "mcp-gateway-hub"), filepath.Join(binDir, "mcp-gateway-agent")
	}
	for bin, pkg := range map[string]string{hubBin: "./hub/cmd/mcp-gateway-hub", agentBin: "./agent/cmd/mcp-gateway-agent"} {
		if binDir != "" {
			break
		}
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	}
	data := filepath.Join(dir, "data")
	owner, err := output(ctx, hubBin, "init", "--data-dir", data)
	if err != nil {
		return nil, err
	}
	agentOut, err := output(ctx, hubBin, "agents", "enroll", "bench", "--data-dir", data)
	if err != nil {
		return nil, err
	}
	m.key = keyRE.FindString(owner)
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	m.url = "http://" + addr + "/mcp"
	hubConf := filepath.Join(dir, "hub.toml")
	hubTOML := "[[backends]]\n" + srv.toml()
	if binDir == "" || knowsRateLimits(filepath.Join(binDir, "mcp-gateway-hub")) {
		// One key makes every call as fast as it can: the benchmark measures the hub, so the
		// per-key and per-application rate limits (docs/LIMITS.md) are off. A baseline build
		// older than [limits] refuses the table, and has no rate limits.
		hubTOML = "[limits]\nkey_rate = 0\napplication_rate = 0\n\n" + hubTOML
	}
	if b.policy {
		pol := filepath.Join(dir, "policy.toml")
		if err := os.WriteFile(pol, []byte(benchPolicy()), 0o600); err != nil {
			return nil, err
		}
		hubTOML = fmt.Sprintf("policy_file = %q\n", pol) + hubTOML
	}
	tracing := ""
	if traceURL != "" {
		tracing = fmt.Sprintf("\n[tracing]\nendpoint = %q\n", traceURL)
		hubTOML += tracing
	}
	if err := os.WriteFile(hubConf, []byte(hubTOML), 0o600); err != nil {
		return nil, err
	}
	if m.hubPID, err = m.spawn(ctx, hubBin, "serve", "--config", hubConf, "--data-dir", data, "--listen", addr); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "agent.toml")
	agentConf := fmt.Sprintf("[agent]\nagent_id = \"bench\"\ngateway_url = \"ws://%s/agent/ws\"\napi_key = %q\n\n[[backends]]\n%s",
		addr, keyRE.FindString(agentOut), srv.toml()+tracing)
	if err := os.WriteFile(conf, []byte(agentConf), 0o600); err != nil {
		return nil, err
	}
	if m.agentPID, err = m.spawn(ctx, agentBin, "run", "--headless", "--config", conf); err != nil {
		return nil, err
	}
	for _, tool := range []string{"srv__" + srv.tool, "bench__srv__" + srv.tool} {
		if err := waitTool(ctx, m.url, m.key, tool); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func output(ctx context.Context, bin string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (m *mesh) spawn(ctx context.Context, bin string, args ...string) (int, error) {
	return m.spawnAs(ctx, filepath.Base(bin), bin, args...)
}

// spawnAs starts bin with args; name names its log, and its profile under -profile.
func (m *mesh) spawnAs(ctx context.Context, name, bin string, args ...string) (int, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	if m.prof != nil {
		cmd.Env = append(os.Environ(), m.prof(name)...)
	}
	logf, err := os.CreateTemp(m.dir, name+"-*.log")
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	m.procs = append(m.procs, cmd)
	return cmd.Process.Pid, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitTool polls tools/list at url until the tool is there.
func waitTool(ctx context.Context, url, key, tool string) error {
	deadline := time.Now().Add(90 * time.Second)
	last := "no answer yet"
	for time.Now().Before(deadline) {
		callers, err := newHTTPCallers(ctx, url, key, tool, "", 1)
		if err == nil {
			var resp *reply
			resp, err = callers[0].(*httpCaller).post(ctx, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
			if err == nil && strings.Contains(string(resp.body), `"`+tool+`"`) {
				return nil
			}
			if err == nil {
				last = fmt.Sprintf("tools/list answered %.300s", resp.body)
			}
		}
		if err != nil {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("tool %s did not appear at %s within 90 s (last: %s)", tool, url, last)
}

func (m *mesh) close() {
	// Last started first: a process stops before the one it depends on (the agent before
	// its hub, the floor's front before its back), so each ends cleanly and writes its
	// profile.
	for i := len(m.procs) - 1; i >= 0; i-- {
		p := m.procs[i]
		_ = p.Process.Signal(os.Interrupt)
		_ = p.Wait()
	}
	os.RemoveAll(m.dir)
}

// benchPolicy is 49 deny rules that every bench call is checked against and passes, then
// the rule that allows it; the default denies.
func benchPolicy() string {
	var b strings.Builder
	b.WriteString("default = \"deny\"\n")
	for i := 0; i < 49; i++ {
		fmt.Fprintf(&b, "\n[[rules]]\nname = \"deny-%d\"\neffect = \"deny\"\ntools = [\"nomatch_%d_*\"]\n", i, i)
	}
	b.WriteString("\n[[rules]]\nname = \"allow-all\"\neffect = \"allow\"\ntools = [\"*\"]\n")
	return b.String()
}

// knowsRateLimits reports whether the hub binary at path has the [limits] rate settings: its
// config's key name is in the binary's strings.
func knowsRateLimits(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && bytes.Contains(b, []byte("application_rate"))
}
