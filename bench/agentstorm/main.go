// Command agentstorm measures what an idle agent costs a hub and how a hub takes in a
// reconnect storm (issue 11). It starts a real hub process, enrolls N agents (or copies a
// data dir enrolled earlier, -data), and runs N agents in this process, each as
// agent/connector does: shared/tunnel.Dial, hello with one ready backend of canned tools,
// welcome, then reading its control stream; on a refusal with Retry-After it waits that long
// plus the connector's jitter, on any other failure the connector's backoff. It reports:
//
//   - the first connection of all N at once: time until all are welcomed, 503s answered;
//   - the idle hub after -settle: RSS and goroutines, in total and per agent (less the hub's
//     own figures before any agent came);
//   - kill -9 of the hub and a restart on the same address: time until all N are back, the
//     503s, and the hub's peak RSS and goroutines meanwhile (sampled every 250 ms).
//
// With -procs P the agents are split over P processes (this one and P-1 workers, this
// program again with -worker), so that one process's scheduler and garbage collector do
// not hold up 10,000 agents' keepalives on a small machine.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/bench/procstat"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

type options struct {
	bin, data    string
	n, tools     int
	rate         float64
	conc         int
	settle, wait time.Duration
	idle         time.Duration
	restarts     int
	procs        int
}

func main() {
	var o options
	flag.StringVar(&o.bin, "hub", "", "hub binary (go build ./hub/cmd/mcp-gateway-hub)")
	flag.StringVar(&o.data, "data", "", "a hub data dir with agent-keys.txt, copied for the run (made with N enrolled agents if it does not exist); without it N agents are enrolled for the run")
	flag.IntVar(&o.n, "n", 1000, "agents")
	flag.IntVar(&o.tools, "tools", 5, "tools per agent")
	flag.Float64Var(&o.rate, "rate", -1, "[limits] agent_handshakes_per_second (-1: the hub's default)")
	flag.IntVar(&o.conc, "conc", -1, "[limits] max_concurrent_agent_handshakes (-1: the hub's default)")
	flag.DurationVar(&o.settle, "settle", 40*time.Second, "idle time before the idle figures")
	flag.DurationVar(&o.wait, "timeout", 10*time.Minute, "give up a phase after this long")
	flag.IntVar(&o.restarts, "restarts", 1, "kill -9 and restart the hub this many times")
	flag.DurationVar(&o.idle, "idle", 30*time.Second, "how long the idle hub's CPU is measured after -settle (0: not)")
	flag.IntVar(&o.procs, "procs", 1, "processes running the agents (this one and procs-1 workers)")
	worker := flag.Bool("worker", false, "run agents only (started by -procs): -url, -keys, -from, -to")
	wURL := flag.String("url", "", "worker: the hub's tunnel URL")
	wKeys := flag.String("keys", "", "worker: file of agent keys, one a line")
	wFrom := flag.Int("from", 0, "worker: first key (0-based) of this worker's agents")
	wTo := flag.Int("to", 0, "worker: end of this worker's keys")
	flag.Parse()
	if *worker {
		if err := runWorker(*wURL, *wKeys, *wFrom, *wTo, o.tools); err != nil {
			log.Fatal(err)
		}
		return
	}
	if o.bin == "" {
		log.Fatal("-hub is required")
	}
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "agentstorm")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data")
	keys, err := prepare(o, data)
	if err != nil {
		return err
	}
	h := &hub{bin: o.bin, dir: dir, data: data}
	if err := h.writeConfig(o); err != nil {
		return err
	}
	if err := h.start(); err != nil {
		return err
	}
	defer h.kill()
	base := h.sample()
	fmt.Printf("hub alone: RSS %.1f MiB, %d goroutines\n", mib(base.rss), base.goroutines)

	f := &fleet{url: "ws://" + h.addr + "/agent/ws", tools: cannedTools(o.tools)}
	began := time.Now()
	local, err := f.startWorkers(o, dir, keys)
	if err != nil {
		return err
	}
	for i, k := range keys[:local] {
		go f.agent(fmt.Sprintf("load%05d", i+1), k)
	}
	peak, err := f.waitAll(h, o.n, o.wait)
	if err != nil {
		return err
	}
	fmt.Printf("first connection of %d agents at once: all welcomed in %s, %d answers 503 + Retry-After, hub peak RSS %.1f MiB, %d goroutines\n",
		o.n, time.Since(began).Round(100*time.Millisecond), f.deferredSince(), mib(peak.rss), peak.goroutines)

	time.Sleep(o.settle)
	s := h.sample()
	fmt.Printf("idle after %s: RSS %.1f MiB (%.1f KiB per agent), %d goroutines (%.2f per agent)\n", o.settle,
		mib(s.rss), float64(s.rss-base.rss)/1024/float64(o.n), s.goroutines, float64(s.goroutines-base.goroutines)/float64(o.n))
	if o.idle > 0 {
		pid := h.cmd.Process.Pid
		a, err := procstat.CPUTime(pid)
		if err != nil {
			return err
		}
		t0 := time.Now()
		time.Sleep(o.idle)
		b, err := procstat.CPUTime(pid)
		if err != nil {
			return err
		}
		load, _ := os.ReadFile("/proc/loadavg")
		fmt.Printf("idle hub CPU over %s: %.1f %% of a core (load average %s)\n", o.idle,
			100*(b-a).Seconds()/time.Since(t0).Seconds(), strings.Join(strings.Fields(string(load))[:3], " "))
	}

	for r := range o.restarts {
		killed := time.Now()
		h.kill()
		for f.upAll() > 0 && time.Since(killed) < time.Minute { // every agent sees its tunnel end
			time.Sleep(10 * time.Millisecond)
		}
		if err := h.start(); err != nil {
			return err
		}
		ready := time.Since(killed)
		peak, err := f.waitAll(h, o.n, o.wait)
		if err != nil {
			return fmt.Errorf("restart %d: %w", r+1, err)
		}
		fmt.Printf("kill -9 + restart %d: hub ready %s after the kill, all %d agents back %s after it, %d answers 503 + Retry-After, hub peak RSS %.1f MiB, %d goroutines\n",
			r+1, ready.Round(100*time.Millisecond), o.n, time.Since(killed).Round(100*time.Millisecond), f.deferredSince(), mib(peak.rss), peak.goroutines)
	}
	return nil
}

// fleet is the agents of this process.
type fleet struct {
	url      string
	tools    []json.RawMessage
	up       atomic.Int64 // agents welcomed whose tunnel has not ended
	deferred atomic.Int64 // 503 answers with Retry-After
	workers  []*worker    // the other processes' agents
	reported int64        // deferredAll at the last deferredSince
}

// worker is another process running agents; it reports its figures on stdout.
type worker struct {
	up, deferred atomic.Int64
	stdin        io.WriteCloser
}

// upAll is the agents up in every process.
func (f *fleet) upAll() int64 {
	n := f.up.Load()
	for _, w := range f.workers {
		n += w.up.Load()
	}
	return n
}

// deferredSince is the 503 answers of every process since the last call.
func (f *fleet) deferredSince() int64 {
	n := f.deferred.Load()
	for _, w := range f.workers {
		n += w.deferred.Load()
	}
	d := n - f.reported
	f.reported = n
	return d
}

// startWorkers starts o.procs-1 worker processes with their shares of keys and returns
// how many of the first keys are left to this process.
func (f *fleet) startWorkers(o options, dir string, keys []string) (int, error) {
	if o.procs <= 1 {
		return len(keys), nil
	}
	file := filepath.Join(dir, "worker-keys.txt")
	if err := os.WriteFile(file, []byte(strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
		return 0, err
	}
	share := (len(keys) + o.procs - 1) / o.procs
	for from := share; from < len(keys); from += share {
		to := min(from+share, len(keys))
		cmd := exec.Command(os.Args[0], "-worker", "-url", f.url, "-keys", file,
			"-from", strconv.Itoa(from), "-to", strconv.Itoa(to), "-tools", strconv.Itoa(o.tools))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return 0, err
		}
		// The worker ends with this process: its stdin is a pipe that closes then (kept
		// referenced in w, or the garbage collector would close it).
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return 0, err
		}
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		w := &worker{stdin: stdin}
		f.workers = append(f.workers, w)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var up, deferred int64
				if _, err := fmt.Sscanf(sc.Text(), "up %d deferred %d", &up, &deferred); err == nil {
					w.up.Store(up)
					w.deferred.Store(deferred)
				}
			}
		}()
	}
	return min(share, len(keys)), nil
}

// runWorker runs the agents of keys [from, to) of file and prints its figures every
// 100 ms until its stdin closes (the parent ended).
func runWorker(url, file string, from, to, tools int) error {
	keys, err := readLines(file)
	if err != nil {
		return err
	}
	f := &fleet{url: url, tools: cannedTools(tools)}
	for i := from; i < to && i < len(keys); i++ {
		go f.agent(fmt.Sprintf("load%05d", i+1), keys[i])
	}
	gone := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(gone) }()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-gone:
			return nil
		case <-t.C:
			fmt.Printf("up %d deferred %d\n", f.up.Load(), f.deferred.Load())
		}
	}
}

// agent keeps one agent connected, reconnecting as agent/connector does.
func (f *fleet) agent(id, key string) {
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+key)
	hdr.Set(connector.AgentIDHeader, id)
	var bo connector.Backoff
	retries := 0
	for {
		up, err := f.session(id, hdr)
		wait, next := bo.After(retries, up)
		retries = next
		var hs *tunnel.HandshakeError
		if errors.As(err, &hs) && hs.RetryAfter > 0 {
			f.deferred.Add(1)
			wait = hs.RetryAfter + time.Duration(rand.Int64N(int64(time.Second))) // as agent/connector
		}
		time.Sleep(wait)
	}
}

// session dials, says hello, and reads the control stream until the tunnel ends.
func (f *fleet) session(id string, hdr http.Header) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	sess, _, err := tunnel.Dial(ctx, tunnel.DialConfig{URL: f.url, Header: hdr, HandshakeTimeout: 30 * time.Second, Direct: true})
	cancel()
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	ctrl, err := sess.OpenStream()
	if err != nil {
		return 0, err
	}
	var tools []json.RawMessage
	tools = append(tools, f.tools...)
	hello := protocol.Hello{AgentID: id, Version: "agentstorm", Capability: protocol.CapabilityVersion, Instance: id,
		Backends: []protocol.Backend{{Name: "canned", State: protocol.StateReady, Tools: tools}}}
	if err := protocol.WriteJSON(ctrl, protocol.TypeHello, hello); err != nil {
		return 0, err
	}
	_ = ctrl.SetReadDeadline(time.Now().Add(60 * time.Second))
	var w protocol.Welcome
	if err := protocol.ReadJSON(ctrl, protocol.TypeWelcome, &w); err != nil {
		return 0, err
	}
	_ = ctrl.SetReadDeadline(time.Time{})
	start := time.Now()
	f.up.Add(1)
	defer f.up.Add(-1)
	for {
		if _, _, err := protocol.ReadFrame(ctrl); err != nil {
			return time.Since(start), err
		}
	}
}

// waitAll waits until n agents are up, sampling the hub's peak meanwhile.
func (f *fleet) waitAll(h *hub, n int, limit time.Duration) (sample, error) {
	var peak sample
	deadline := time.Now().Add(limit)
	for f.upAll() < int64(n) {
		if time.Now().After(deadline) {
			return peak, fmt.Errorf("only %d of %d agents up after %s", f.upAll(), n, limit)
		}
		s := h.sample()
		peak.rss, peak.goroutines = max(peak.rss, s.rss), max(peak.goroutines, s.goroutines)
		time.Sleep(250 * time.Millisecond)
	}
	return peak, nil
}

func cannedTools(n int) []json.RawMessage {
	var out []json.RawMessage
	for i := range n {
		out = append(out, json.RawMessage(fmt.Sprintf(
			`{"name":"tool_%d","description":"canned tool %d of the load program","inputSchema":{"type":"object","properties":{"message":{"type":"string"}}}}`, i, i)))
	}
	return out
}

// prepare makes data, a hub data dir with n enrolled agents, and returns their keys.
func prepare(o options, data string) ([]string, error) {
	if o.data != "" {
		if _, err := os.Stat(o.data); errors.Is(err, os.ErrNotExist) { // enrolled once, kept
			keys, err := enroll(o, o.data)
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(o.data, "agent-keys.txt"), []byte(strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
				return nil, err
			}
		}
		if out, err := exec.Command("cp", "-a", o.data, data).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("copy %s: %v\n%s", o.data, err, out)
		}
		keys, err := readLines(filepath.Join(data, "agent-keys.txt"))
		if err != nil {
			return nil, err
		}
		if len(keys) < o.n {
			return nil, fmt.Errorf("%s holds %d agent keys, want %d", o.data, len(keys), o.n)
		}
		return keys[:o.n], nil
	}
	return enroll(o, data)
}

// enroll makes data a new hub data dir with o.n enrolled agents and returns their keys.
func enroll(o options, data string) ([]string, error) {
	if out, err := exec.Command(o.bin, "init", "--data-dir", data).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("init: %v\n%s", err, out)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: data})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var keys []string
	for i := range o.n {
		_, key, err := auth.EnrollAgent(ctx, st, fmt.Sprintf("load%05d", i+1))
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// hub is the hub process.
type hub struct {
	bin, dir, data, conf, addr string
	cmd                        *exec.Cmd
}

func (h *hub) writeConfig(o options) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	h.addr = ln.Addr().String()
	ln.Close()
	// Every agent dials from 127.0.0.1: the connection caps and key rates are off.
	toml := "metrics_public = true\n\n[limits]\nmax_connections = 0\nmax_connections_per_address = 0\nkey_rate = 0\napplication_rate = 0\n"
	if o.rate >= 0 {
		toml += fmt.Sprintf("agent_handshakes_per_second = %g\n", o.rate)
	}
	if o.conc >= 0 {
		toml += fmt.Sprintf("max_concurrent_agent_handshakes = %d\n", o.conc)
	}
	h.conf = filepath.Join(h.dir, "hub.toml")
	return os.WriteFile(h.conf, []byte(toml), 0o600)
}

func (h *hub) start() error {
	logf, err := os.OpenFile(filepath.Join(h.dir, "hub.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	h.cmd = exec.Command(h.bin, "serve", "--config", h.conf, "--data-dir", h.data, "--listen", h.addr)
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	if err := h.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + h.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, _ := os.ReadFile(filepath.Join(h.dir, "hub.log"))
	return fmt.Errorf("hub not ready within 60 s:\n%s", out)
}

// kill ends the hub with SIGKILL, as a crash would.
func (h *hub) kill() {
	if h.cmd == nil || h.cmd.Process == nil {
		return
	}
	_ = h.cmd.Process.Kill()
	_ = h.cmd.Wait()
	h.cmd = nil
}

type sample struct {
	rss        int64
	goroutines int
}

// sample reads the hub's VmRSS and its go_goroutines (/metrics); zero when unreadable.
func (h *hub) sample() sample {
	var s sample
	if h.cmd == nil {
		return s
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.cmd.Process.Pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				s.rss = kb * 1024
			}
		}
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + h.addr + "/metrics")
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			g, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			s.goroutines = int(g)
			break
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return s
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
