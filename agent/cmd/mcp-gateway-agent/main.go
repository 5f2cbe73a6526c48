// Command mcp-gateway-agent connects MCP servers on this machine to an mcp-gateway hub.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/mcp-gateway/mcp-gateway/agent/cli"
)

// procs is the agent's GOMAXPROCS when the environment sets none. The agent relays calls
// between the tunnel and its backends' pipes: each call hands off between a few goroutines,
// and with a second processor idle every hand-off woke it to search for work and sleep
// again — 40 % of the agent's CPU in a profile at 16 clients. On one processor a hand-off is
// a run-queue operation: 22–23 % less CPU per call at 1 and 16 clients, latency unchanged
// (docs/BENCHMARKS.md, "The session's tree against its start"). One core of Go work is far
// more than an agent needs (≈ 25 % of one at 2,000 calls/s), and its backends are processes
// of their own; GOMAXPROCS in the environment still decides when set.
const procs = 1

// setProcs applies procs unless getenv gives a GOMAXPROCS.
func setProcs(getenv func(string) string) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(procs)
	}
}

func main() {
	setProcs(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, cli.ErrRestart):
		fmt.Fprintln(os.Stderr, "mcp-gateway-agent:", err)
		os.Exit(cli.ExitRestart)
	case errors.Is(err, cli.ErrUsage):
		fmt.Fprintln(os.Stderr, "mcp-gateway-agent:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "mcp-gateway-agent:", err)
		os.Exit(1)
	}
}
