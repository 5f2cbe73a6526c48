// Command metacost measures what a stdio MCP server spends per tools/call on the members of
// the request's _meta: the same call sent in the legacy era (initialize, no _meta) and in the
// stateless era (server/discover, then every request with its _meta), with one member more
// per variant. Variants run interleaved, round by round, each on a fresh server process; the
// server's CPU (utime+stime from /proc) over the measured calls is divided by the calls.
//
// It is how docs/BENCHMARKS.md ("Eleventh pass") prices go-sdk's per-member decoding, which
// decided what the gateway's stdio requests carry (docs/DECISIONS.md, "Modern requests").
//
//	go run ./bench/metacost -server "$(e2e/conformance/everything-server.sh --build-only)"
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/bench/procstat"
)

// variant is one way of sending the call.
type variant struct {
	name   string
	legacy bool   // initialize first; else server/discover
	meta   string // the _meta members, JSON without braces; "" for none
}

const (
	pv    = `"io.modelcontextprotocol/protocolVersion":"2026-07-28"`
	caps  = `"io.modelcontextprotocol/clientCapabilities":{}`
	info  = `"io.modelcontextprotocol/clientInfo":{"name":"mcp-gateway","version":"0.1.0"}`
	level = `"io.modelcontextprotocol/logLevel":"debug"`
)

// warmup is the calls made, one at a time, before the measured ones.
const warmup = 500

var variants = []variant{
	{name: "legacy era, no _meta", legacy: true},
	{name: "stateless: protocolVersion, clientCapabilities", meta: pv + "," + caps},
	{name: "stateless: + logLevel", meta: pv + "," + caps + "," + level},
	{name: "stateless: + clientInfo", meta: pv + "," + caps + "," + info},
	{name: "stateless: + clientInfo + logLevel", meta: pv + "," + caps + "," + info + "," + level},
}

func main() {
	server := flag.String("server", "", "stdio server command (required); go-sdk's conformance everything-server speaks both eras")
	tool := flag.String("tool", "test_simple_text", "tool called, with no arguments")
	calls := flag.Int("calls", 20000, "measured calls per variant and round")
	depth := flag.Int("depth", 16, "requests in flight")
	rounds := flag.Int("rounds", 5, "rounds; each runs every variant once")
	flag.Parse()
	if *server == "" {
		fmt.Fprintln(os.Stderr, "metacost: -server is required")
		os.Exit(2)
	}
	res := map[string][]float64{}
	for r := range *rounds {
		for _, v := range variants {
			cpu, rate, err := measure(*server, *tool, v, *calls, *depth)
			if err != nil {
				fmt.Fprintf(os.Stderr, "metacost: %s: %v\n", v.name, err)
				os.Exit(1)
			}
			fmt.Printf("round %d: %-48s server CPU/call %6.1f µs  %6.0f calls/s\n", r+1, v.name, cpu, rate)
			res[v.name] = append(res[v.name], cpu)
		}
	}
	fmt.Println("\n| variant | server CPU per call, median | rounds |\n|---|---|---|")
	for _, v := range variants {
		xs := slices.Sorted(slices.Values(res[v.name]))
		fmt.Printf("| %s | %.0f µs | %s |\n", v.name, xs[len(xs)/2], strings.Trim(fmt.Sprint(xs), "[]"))
	}
}

// measure starts the server, makes the era's opening request, warms up, then keeps depth
// calls in flight until calls have been answered, and returns the server's CPU per call
// (µs) and the calls per second.
func measure(server, tool string, v variant, calls, depth int) (float64, float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, server)
	in, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { in.Close(); _ = cmd.Wait() }()
	r := bufio.NewReaderSize(out, 1<<20)
	send := func(s string) error { _, err := io.WriteString(in, s+"\n"); return err }
	answer := func() (string, error) {
		line, err := r.ReadString('\n')
		if err == nil && strings.Contains(line, `"error"`) {
			err = errors.New("error answer: " + strings.TrimSpace(line))
		}
		return line, err
	}
	open := `{"jsonrpc":"2.0","id":0,"method":"server/discover","params":{"_meta":{` + pv + "," + caps + `}}}`
	if v.legacy {
		open = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"metacost","version":"1"}}}`
	}
	if err := send(open); err != nil {
		return 0, 0, err
	}
	if _, err := answer(); err != nil {
		return 0, 0, err
	}
	if v.legacy {
		if err := send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`); err != nil {
			return 0, 0, err
		}
	}
	meta := ""
	if v.meta != "" {
		meta = `"_meta":{` + v.meta + `},`
	}
	req := func(i int) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{%s"name":%q,"arguments":{}}}`, i+1, meta, tool)
	}
	for i := range warmup { // one at a time
		if err := send(req(i)); err != nil {
			return 0, 0, err
		}
		if _, err := answer(); err != nil {
			return 0, 0, err
		}
	}
	pid := cmd.Process.Pid
	cpu0, err := procstat.CPUTime(pid)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	sent := warmup
	for ; sent < warmup+min(depth, calls); sent++ {
		if err := send(req(sent)); err != nil {
			return 0, 0, err
		}
	}
	for got := 0; got < calls; got++ {
		if _, err := answer(); err != nil {
			return 0, 0, err
		}
		if sent < warmup+calls {
			if err := send(req(sent)); err != nil {
				return 0, 0, err
			}
			sent++
		}
	}
	elapsed := time.Since(t0)
	cpu1, err := procstat.CPUTime(pid)
	if err != nil {
		return 0, 0, err
	}
	return float64((cpu1 - cpu0).Microseconds()) / float64(calls), float64(calls) / elapsed.Seconds(), nil
}
