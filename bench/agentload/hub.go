package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/bench/procstat"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// prepareData makes a hub data dir with n enrolled agents ("load00001" ...), and returns it
// with the owner's key and the agents' keys. With -cache, a data dir enrolled by an earlier
// run for the same n is copied instead.
func prepareData(ctx context.Context, c config, bin, dir string, n int) (data, owner string, keys []string, err error) {
	data = filepath.Join(dir, "data")
	var cached string
	if c.cache != "" {
		cached = filepath.Join(c.cache, fmt.Sprintf("agents-%d", n))
		if _, err := os.Stat(filepath.Join(cached, "agent-keys.txt")); err == nil {
			if out, err := exec.CommandContext(ctx, "cp", "-a", cached, data).CombinedOutput(); err != nil {
				return "", "", nil, fmt.Errorf("copy %s: %v\n%s", cached, err, out)
			}
			return loadKeys(data)
		}
	}
	out, err := output(ctx, bin, "init", "--data-dir", data)
	if err != nil {
		return "", "", nil, err
	}
	owner = keyRE.FindString(out)
	if owner == "" {
		return "", "", nil, fmt.Errorf("no owner key in the output of init:\n%s", out)
	}
	st, err := store.Open(ctx, store.Config{DataDir: data})
	if err != nil {
		return "", "", nil, err
	}
	began := time.Now()
	var b strings.Builder
	for i := range n {
		_, key, err := auth.EnrollAgent(ctx, st, agentID(i))
		if err != nil {
			st.Close()
			return "", "", nil, err
		}
		keys = append(keys, key)
		b.WriteString(key + "\n")
		if (i+1)%1000 == 0 {
			fmt.Fprintf(os.Stderr, "enrolled %d agents (%s)\n", i+1, time.Since(began).Round(time.Second))
		}
	}
	st.Close()
	if err := os.WriteFile(filepath.Join(data, "owner-key.txt"), []byte(owner+"\n"), 0o600); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(filepath.Join(data, "agent-keys.txt"), []byte(b.String()), 0o600); err != nil {
		return "", "", nil, err
	}
	if cached != "" {
		_ = os.MkdirAll(c.cache, 0o700)
		if out, err := exec.CommandContext(ctx, "cp", "-a", data, cached).CombinedOutput(); err != nil {
			return "", "", nil, fmt.Errorf("cache %s: %v\n%s", cached, err, out)
		}
	}
	return data, owner, keys, nil
}

func loadKeys(data string) (string, string, []string, error) {
	owner, err := readLines(filepath.Join(data, "owner-key.txt"))
	if err != nil || len(owner) != 1 {
		return "", "", nil, fmt.Errorf("owner key in %s: %v", data, err)
	}
	keys, err := readLines(filepath.Join(data, "agent-keys.txt"))
	return data, owner[0], keys, err
}

func agentID(i int) string { return fmt.Sprintf("load%05d", i+1) }

// hub is the hub process under test.
type hub struct {
	cmd  *exec.Cmd
	pid  int
	addr string
}

func startHub(ctx context.Context, bin, dir, data string) (*hub, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	// Every agent dials from 127.0.0.1: the connection caps are off, and so are the owner
	// key's rate limits (the bench pages tools/list as fast as it can).
	conf := filepath.Join(dir, "hub.toml")
	toml := "metrics_public = true\n\n[limits]\nmax_connections = 0\nmax_connections_per_address = 0\nkey_rate = 0\napplication_rate = 0\n"
	if err := os.WriteFile(conf, []byte(toml), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "hub.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, bin, "serve", "--config", conf, "--data-dir", data, "--listen", addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &hub{cmd: cmd, pid: cmd.Process.Pid, addr: addr}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return h, nil
			}
		}
		if time.Now().After(deadline) {
			h.stop()
			log, _ := os.ReadFile(filepath.Join(dir, "hub.log"))
			return nil, fmt.Errorf("hub not ready within 60 s:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (h *hub) stop() {
	_ = h.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = h.cmd.Process.Kill()
		<-done
	}
}

type sample struct {
	rss        int64 // bytes
	goroutines int
}

// sample reads the hub's resident memory (/proc/PID/status VmRSS) and goroutine count
// (go_goroutines of /metrics).
func (h *hub) sample(ctx context.Context) (sample, error) {
	var s sample
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.pid))
	if err != nil {
		return s, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			s.rss = kb * 1024
		}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+h.addr+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			s.goroutines = int(f)
			_, _ = io.Copy(io.Discard, resp.Body)
			return s, nil
		}
	}
	return s, errNoMetric
}

// idleCPU is the share of one core the hub used over d (utime+stime of /proc/PID/stat).
func (h *hub) idleCPU(ctx context.Context, d time.Duration) (float64, error) {
	a, err := procstat.CPUTime(h.pid)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(d):
	}
	b, err := procstat.CPUTime(h.pid)
	if err != nil {
		return 0, err
	}
	return (b - a).Seconds() / time.Since(t0).Seconds(), nil
}
