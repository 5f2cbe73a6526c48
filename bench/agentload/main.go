// Command agentload measures how a hub carries many idle agents (issue 11, "Agents per
// hub"). It starts one real hub, enrolls N agents in its store, and opens N real agent
// tunnels from this one process with the project's own dialer and handshake
// (shared/tunnel.Dial, then hello/welcome on the control stream as agent/connector does),
// each agent reporting one ready backend of -tools canned tools. At each step of -n it
// reports: the time to connect the step's agents (from the first dial until every welcome
// is in and the hub's tools/list holds all their tools), the hub's RSS and goroutines per
// idle agent, the hub's CPU while idle, and the time of a full tools/list paging.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func main() {
	root := flag.String("root", ".", "repository root (the hub is built from it unless -hub is given)")
	hubBin := flag.String("hub", "", "a hub binary to measure instead of building one from -root")
	steps := flag.String("n", "1000", "comma-separated, increasing agent counts: agents are added up to each count in turn")
	tools := flag.Int("tools", 5, "tools per agent")
	idle := flag.Duration("idle", 30*time.Second, "how long the hub's idle CPU is measured at each step")
	conc := flag.Int("conc", 64, "handshakes in flight at once")
	cache := flag.String("cache", "", "directory keeping enrolled hub data dirs between runs (enrolling 10,000 agents takes a while)")
	connectLimit := flag.Duration("connect-timeout", 20*time.Minute, "give up a step after this long")
	tmp := flag.String("dir", "", "parent of the run's scratch directory (hub data, config, log); default the system's temp dir")
	flag.Parse()
	ns, err := parseSteps(*steps)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg := config{root: *root, hubBin: *hubBin, steps: ns, tools: *tools, idle: *idle, conc: *conc,
		cache: *cache, connectTimeout: *connectLimit, tmp: *tmp}
	if err := run(ctx, cfg); err != nil {
		log.Fatal(err)
	}
}

type config struct {
	root, hubBin   string
	steps          []int
	tools          int
	idle           time.Duration
	conc           int
	cache          string
	connectTimeout time.Duration
	tmp            string
}

func parseSteps(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("bad -n %q: want increasing positive counts", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, c config) error {
	dir, err := os.MkdirTemp(c.tmp, "agentload-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := c.hubBin
	if bin == "" {
		bin = filepath.Join(dir, "hub")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./hub/cmd/mcp-gateway-hub")
		cmd.Dir = c.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build hub: %v\n%s", err, out)
		}
	}
	max := c.steps[len(c.steps)-1]
	data, owner, keys, err := prepareData(ctx, c, bin, dir, max)
	if err != nil {
		return err
	}
	h, err := startHub(ctx, bin, dir, data)
	if err != nil {
		return err
	}
	defer h.stop()
	fmt.Fprintf(os.Stderr, "hub pid %d at %s\n", h.pid, h.addr)

	client := newMCPClient("http://"+h.addr+"/mcp", owner)
	if err := client.initialize(ctx); err != nil {
		return fmt.Errorf("MCP session: %w", err)
	}
	base, err := h.sample(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("hub with no agents: RSS %s, %d goroutines\n\n", mib(base.rss), base.goroutines)
	fmt.Println("| agents | connect (step) | RSS | per agent | goroutines | per agent | idle CPU | tools/list (pages) |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|")
	fleet := newFleet("ws://"+h.addr+"/agent/ws", c.tools)
	defer fleet.close()
	prev := 0
	for _, n := range c.steps {
		stepCtx, cancel := context.WithTimeout(ctx, c.connectTimeout)
		began := time.Now()
		err := fleet.connect(stepCtx, keys[prev:n], prev, c.conc)
		welcomed := time.Since(began)
		fmt.Fprintf(os.Stderr, "%s agents %d..%d welcomed in %s\n", time.Now().Format("15:04:05.000"), prev+1, n, welcomed.Round(time.Millisecond))
		if err == nil {
			err = client.waitTools(stepCtx, n*c.tools)
		}
		cancel()
		took := time.Since(began)
		if err != nil {
			return fmt.Errorf("connecting agents %d..%d: %w (after %s)", prev+1, n, err, took.Round(time.Millisecond))
		}
		time.Sleep(2 * time.Second) // let the connection burst settle before the idle figures
		s, err := h.sample(ctx)
		if err != nil {
			return err
		}
		cpu, err := h.idleCPU(ctx, c.idle)
		if err != nil {
			return err
		}
		listT, pages, count, err := client.listAll(ctx)
		if err != nil {
			return err
		}
		if count != n*c.tools {
			return fmt.Errorf("tools/list gave %d tools, want %d", count, n*c.tools)
		}
		fmt.Printf("| %d | %s (%d → %d; welcomed in %s) | %s | %.1f KiB | %d | %.2f | %.1f %% | %s (%d) |\n", n,
			took.Round(time.Millisecond), prev, n, welcomed.Round(time.Millisecond), mib(s.rss), float64(s.rss-base.rss)/1024/float64(n),
			s.goroutines, float64(s.goroutines-base.goroutines)/float64(n), cpu*100,
			listT.Round(time.Millisecond), pages)
		if lost := fleet.lost(); lost > 0 {
			fmt.Printf("\n%d agent tunnels ended (and were dialed again) so far\n", lost)
		}
		prev = n
	}
	return nil
}

var keyRE = regexp.MustCompile(`mcpgw_[A-Za-z0-9_-]+`)

func output(ctx context.Context, bin string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// readLines reads a file of one item a line.
func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

var errNoMetric = errors.New("no go_goroutines in /metrics")
