// Command callbench measures what the gateway adds to a tools/call. A lean raw JSON-RPC
// client calls one stdio MCP server directly, through the hub (hub-local backend), through
// hub → tunnel → agent, as a stateless 2026-07-28 client through the agent path, and,
// when given, through a single-hop peer proxy in front of the same server. Paths are
// measured interleaved (round by round) at each concurrency, and each reports p50/p99,
// calls/s and the CPU per call of the gateway's own processes (utime+stime from /proc).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/bench/procstat"
)

func main() {
	root := flag.String("root", ".", "repository root")
	calls := flag.Int("calls", 4000, "measured calls per path, concurrency and round")
	warm := flag.Int("warmup", 300, "warm-up calls before each measurement")
	rounds := flag.Int("rounds", 3, "rounds; each measures every path once, interleaved")
	concs := flag.String("conc", "1,16", "comma-separated client counts")
	srvName := flag.String("server", "gosdk", "stdio server: gosdk (go-sdk's conformance everything-server) or everything (npm server-everything)")
	peer := flag.String("peer", "", "path of a TBXark/mcp-proxy binary to measure beside the hub (optional)")
	only := flag.String("paths", "", "comma-separated substrings: measure only the paths whose name has one (direct is always measured)")
	baseline := flag.String("baseline", "", "directory with a baseline build (mcp-gateway-hub, mcp-gateway-agent) measured beside this tree's, interleaved")
	governed := flag.Bool("policy", false, "give the hub a policy of 50 rules (49 that do not match, then the allow), default deny")
	traced := flag.Bool("tracing", false, "also measure a second hub and agent that trace every call and export the spans over OTLP/HTTP to a local sink, interleaved with the untraced ones")
	flag.StringVar(&messageText, "message", messageText, "the text of each call's message argument, followed by the call's number (the everything server's echo tool returns it)")
	legacy := flag.Bool("legacy", false, "also measure a second hub and agent that drive their stdio backends in the legacy era (era = \"legacy\": initialize, one session) instead of the era the probe picks, interleaved")
	overHTTP := flag.Bool("http", false, "run the server as a process of its own serving streamable HTTP (go-sdk's conformance server, -server gosdk), and reach it over HTTP on every path instead of stdio; not with -floor")
	floor := flag.Bool("floor", false, "also measure bench/floorrelay, a bare HTTP → stdio relay in one process and in two joined by a WebSocket: the floor under any relay on this machine")
	exectrace := flag.Bool("exectrace", false, "with -profile: also write execution traces of the hub and the agent (hub.trace, agent.trace; see `go tool trace -pprof=sched`); keep the run short, they grow fast")
	prof := flag.String("profile", "", "directory for CPU and allocation profiles of the hub and the agent over the whole run (hub.pprof, hub.allocs, agent.pprof, agent.allocs; those of -legacy's in legacy/)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cs, err := parseInts(*concs)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := pickServer(*root, *srvName)
	if err != nil {
		log.Fatal(err)
	}
	if *overHTTP {
		if *srvName != "gosdk" || *floor {
			log.Fatal("-http needs -server gosdk, and the floor relays speak stdio only: leave out -floor")
		}
		stopSrv, err := srv.serveHTTP(ctx)
		if err != nil {
			log.Fatal(err)
		}
		defer stopSrv()
		httpNames()
	}
	if err := run(ctx, bench{root: *root, srv: srv, calls: *calls, warm: *warm, rounds: *rounds, concs: cs, peer: *peer, only: *only, profile: *prof, policy: *governed, baseline: *baseline, tracing: *traced, floor: *floor, legacy: *legacy, exectrace: *exectrace}); err != nil {
		log.Fatal(err)
	}
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad -conc %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// server is the stdio MCP server every path ends at.
type server struct {
	command string
	args    []string
	tool    string // the tool called
	expect  string // a substring of its result
	era     string // the backends' era setting ("legacy" for -legacy's mesh); "" leaves it to the probe
	// url and pid are set under -http: the server is a process of its own, and the
	// backends reach it over streamable HTTP.
	url string
	pid int
}

// serveHTTP starts the server as a streamable HTTP server of its own (stateful, so that it
// speaks both eras) and returns how to stop it.
func (s *server) serveHTTP(ctx context.Context) (func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, s.command, "-http="+addr, "-stateless=false")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }
	s.url, s.pid = "http://"+addr+"/mcp", cmd.Process.Pid
	if err := waitTool(ctx, s.url, "", s.tool); err != nil {
		stop()
		return nil, fmt.Errorf("the server over HTTP: %w", err)
	}
	return stop, nil
}

func (s server) toml() string {
	era := ""
	if s.era != "" {
		era = fmt.Sprintf("era = %q\n", s.era)
	}
	if s.url != "" {
		return fmt.Sprintf("name = \"srv\"\ntransport = \"http\"\nurl = %q\n%s", s.url, era)
	}
	args := make([]string, len(s.args))
	for i, a := range s.args {
		args[i] = strconv.Quote(a)
	}
	return fmt.Sprintf("name = \"srv\"\ntransport = \"stdio\"\ncommand = %q\nargs = [%s]\n%s", s.command, strings.Join(args, ", "), era)
}

func pickServer(root, name string) (server, error) {
	root, _ = filepath.Abs(root)
	switch name {
	case "everything":
		// echo returns the message, JSON-escaped in the result.
		q, _ := json.Marshal(messageText + " ")
		return server{command: filepath.Join(root, "e2e", "node_modules", ".bin", "mcp-server-everything"),
			tool: "echo", expect: string(q[1 : len(q)-1])}, nil
	case "gosdk":
		bin, err := output(context.Background(), "bash", filepath.Join(root, "e2e", "conformance", "everything-server.sh"), "--build-only")
		if err != nil {
			return server{}, err
		}
		// The script may say "building ..." first (on stderr, which output merges): the
		// binary's path is its last line.
		lines := strings.Split(strings.TrimSpace(bin), "\n")
		return server{command: strings.TrimSpace(lines[len(lines)-1]), tool: "test_simple_text", expect: "simple text"}, nil
	}
	return server{}, fmt.Errorf("unknown -server %q", name)
}

// messageText starts every call's message argument (-message).
var messageText = "bench"

// message is call i's message argument as a JSON string.
func message(i int) string {
	b, _ := json.Marshal(fmt.Sprintf("%s %d", messageText, i))
	return string(b)
}

// caller makes one call and returns when the result is in.
type caller interface {
	call(ctx context.Context, i int) error
}

// path is one way to reach the server; open returns conc callers and a cleanup.
type path struct {
	name  string
	pids  []int    // the gateway processes whose CPU is counted
	procs []string // their names, for the report
	open  func(ctx context.Context, conc int) ([]caller, func(), error)
	// owner runs the stdio server this path reaches (the hub, the agent, a relay, the
	// peer); 0 for the direct path, whose callers start it. Its CPU is reported beside the
	// gateway's: the same server costs more or less per call depending on how it is spoken
	// to (docs/BENCHMARKS.md, ninth pass).
	owner int
}

type bench struct {
	root        string
	srv         server
	calls, warm int
	rounds      int
	concs       []int
	peer        string
	only        string // -paths
	profile     string // -profile
	policy      bool   // -policy
	baseline    string // -baseline
	tracing     bool   // -tracing
	floor       bool   // -floor
	legacy      bool   // -legacy
	exectrace   bool   // -exectrace
}

// wanted reports whether path name is measured under -paths.
func (b bench) wanted(name string) bool {
	if b.only == "" || name == pathDirect {
		return true
	}
	for _, s := range strings.Split(b.only, ",") {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

func run(ctx context.Context, b bench) error {
	m, err := startMesh(ctx, b, "", b.profile, "")
	if err != nil {
		return err
	}
	defer m.close()
	paths := []path{
		{name: pathDirect, open: func(ctx context.Context, conc int) ([]caller, func(), error) {
			if b.srv.url != "" {
				return httpPath(b.srv.url, "", b.srv.tool, b.srv.expect, false)(ctx, conc)
			}
			cs, err := newStdioCallers(ctx, b.srv, conc)
			if err != nil {
				return nil, nil, err
			}
			return cs, cs[0].(stdioCaller).c.close, nil
		}},
	}
	paths = append(paths, m.paths("", b.srv)...)
	paths = append(paths, path{name: pathStateless, pids: []int{m.hubPID, m.agentPID}, procs: []string{"hub", "agent"},
		owner: m.agentPID, open: httpPath(m.url, m.key, "bench__srv__"+b.srv.tool, b.srv.expect, true)})
	if b.baseline != "" {
		bm, err := startMesh(ctx, b, b.baseline, "", "")
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		defer bm.close()
		paths = append(paths, bm.paths("baseline: ", b.srv)...)
	}
	if b.tracing {
		sink, err := startOTLPSink()
		if err != nil {
			return err
		}
		defer sink.Close()
		tm, err := startMesh(ctx, b, "", "", "http://"+sink.Addr().String())
		if err != nil {
			return fmt.Errorf("traced mesh: %w", err)
		}
		defer tm.close()
		paths = append(paths, tm.paths("traced: ", b.srv)...)
	}
	if b.legacy {
		lb := b
		lb.srv.era = "legacy"
		prof := ""
		if b.profile != "" { // the legacy mesh's profiles go beside the others, in legacy/
			prof = filepath.Join(b.profile, "legacy")
			if err := os.MkdirAll(prof, 0o755); err != nil {
				return err
			}
		}
		lm, err := startMesh(ctx, lb, "", prof, "")
		if err != nil {
			return fmt.Errorf("legacy-era mesh: %w", err)
		}
		defer lm.close()
		paths = append(paths, lm.paths("legacy era: ", b.srv)...)
	}
	if b.peer != "" {
		url, pid, err := m.startPeer(ctx, b.peer, b.srv)
		if err != nil {
			return err
		}
		paths = append(paths, path{name: pathPeer, pids: []int{pid}, procs: []string{"peer"}, owner: pid, open: httpPath(url, "", b.srv.tool, b.srv.expect, false)})
	}
	if b.floor {
		single, pid, split, pids, err := m.startFloor(ctx, b.root, b.srv)
		if err != nil {
			return err
		}
		paths = append(paths,
			path{name: "floor: bare relay → stdio", pids: []int{pid}, procs: []string{"relay"}, owner: pid, open: httpPath(single, "", b.srv.tool, b.srv.expect, false)},
			path{name: pathFloor2, pids: pids, procs: []string{"front", "back"}, owner: pids[1], open: httpPath(split, "", b.srv.tool, b.srv.expect, false)})
	}
	paths = slices.DeleteFunc(paths, func(p path) bool { return !b.wanted(p.name) })
	all := map[string][]result{}
	for r := 0; r < b.rounds; r++ {
		for _, conc := range b.concs {
			for _, p := range paths {
				res, err := measurePath(ctx, p, b.srv, conc, b.calls, b.warm)
				if err != nil {
					return err
				}
				key := fmt.Sprintf("%s/%d", p.name, conc)
				all[key] = append(all[key], res)
				fmt.Fprintf(os.Stderr, "round %d: %-45s %2d clients  p50 %6s  cpu/call %s\n", r+1, p.name, conc, us(res.pct(0.5)), cpuStr(res))
			}
		}
	}
	report(paths, b.concs, all)
	targets(paths, all)
	return nil
}

// paths are a mesh's two paths, named with prefix: to its hub-local backend, and through its
// agent.
func (m *mesh) paths(prefix string, srv server) []path {
	return []path{
		{name: prefix + pathHubLocal, pids: []int{m.hubPID}, procs: []string{"hub"}, owner: m.hubPID,
			open: httpPath(m.url, m.key, "srv__"+srv.tool, srv.expect, false)},
		{name: prefix + pathAgent, pids: []int{m.hubPID, m.agentPID}, procs: []string{"hub", "agent"}, owner: m.agentPID,
			open: httpPath(m.url, m.key, "bench__srv__"+srv.tool, srv.expect, false)},
	}
}

func httpPath(url, key, tool, expect string, stateless bool) func(context.Context, int) ([]caller, func(), error) {
	return func(ctx context.Context, conc int) ([]caller, func(), error) {
		if stateless {
			return newModernCallers(url, key, tool, expect, conc), func() {}, nil
		}
		cs, err := newHTTPCallers(ctx, url, key, tool, expect, conc)
		return cs, func() {}, err
	}
}

func measurePath(ctx context.Context, p path, srv server, conc, calls, warm int) (result, error) {
	callers, done, err := p.open(ctx, conc)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", p.name, err)
	}
	defer done()
	meter := &cpuMeter{pids: p.pids}
	var backend *cpuMeter
	if pid, err := serverPID(p, srv, callers); err != nil {
		fmt.Fprintf(os.Stderr, "%s: the server's CPU is not measured: %v\n", p.name, err)
	} else {
		backend = &cpuMeter{pids: []int{pid}}
	}
	return measure(ctx, p.name, callers, calls, warm, meter, backend)
}

// serverPID finds the stdio server process of a path: the one the direct path's callers
// started, else the child of the path's owner that runs the server's command.
func serverPID(p path, srv server, callers []caller) (int, error) {
	if srv.pid != 0 {
		return srv.pid, nil
	}
	if p.owner == 0 {
		if sc, ok := callers[0].(stdioCaller); ok {
			return sc.c.cmd.Process.Pid, nil
		}
		return 0, errors.New("the path names no process that runs the server")
	}
	kids, err := procstat.Children(p.owner)
	if err != nil {
		return 0, err
	}
	for pid, cmd := range kids {
		if strings.Contains(cmd, filepath.Base(srv.command)) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no child of process %d runs %s", p.owner, filepath.Base(srv.command))
}

type result struct {
	name        string
	concurrency int
	lat         []time.Duration
	elapsed     time.Duration
	cpu         []time.Duration // per gateway process, over the measured calls
	server      time.Duration   // the stdio server's, over the measured calls; -1 when unknown
}

func (r result) pct(p float64) time.Duration {
	return r.lat[int(float64(len(r.lat)-1)*p)]
}

func (r result) rate() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

// cpuPerCall is the gateway processes' CPU per call (0 for the direct path).
func (r result) cpuPerCall() time.Duration {
	var sum time.Duration
	for _, c := range r.cpu {
		sum += c
	}
	return sum / time.Duration(len(r.lat))
}

// measure runs calls spread over conc workers, each with its own caller.
func measure(ctx context.Context, name string, callers []caller, calls, warm int, meter, backend *cpuMeter) (result, error) {
	conc := len(callers)
	for i := 0; i < warm; i++ {
		if err := callers[i%conc].call(ctx, i); err != nil {
			return result{}, fmt.Errorf("%s warm-up: %w", name, err)
		}
	}
	lat := make([]time.Duration, calls)
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	if err := meter.start(); err != nil {
		return result{}, err
	}
	if backend != nil && backend.start() != nil {
		backend = nil
	}
	began := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < calls; i += conc {
				t0 := time.Now()
				if err := callers[w].call(ctx, i); err != nil {
					errs <- err
					return
				}
				lat[i] = time.Since(t0)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(began)
	cpu, err := meter.stop()
	if err != nil {
		return result{}, err
	}
	srvCPU := time.Duration(-1)
	if backend != nil {
		if used, err := backend.stop(); err == nil {
			srvCPU = used[0]
		}
	}
	select {
	case err := <-errs:
		return result{}, fmt.Errorf("%s: %w", name, err)
	default:
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return result{name: name, concurrency: conc, lat: lat, elapsed: elapsed, cpu: cpu, server: srvCPU}, nil
}
