// Command mcp-gateway-hub is the central MCP gateway server.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/mcp-gateway/mcp-gateway/hub/cli"
)

// gcPercent is the hub's GOGC when the environment sets none. The hub's live heap is small
// (routing tables, key cache, sessions) and every call allocates a few kilobytes that die
// with it: at Go's default of 100 the collector runs about twice as often for the same
// garbage, a few per cent of the hub's CPU under load (docs/BENCHMARKS.md, the /mcp POST
// path). 200 lets the heap grow to three times the live data between collections instead of
// two; GOGC (and GOMEMLIMIT) in the environment still decide when set.
const gcPercent = 200

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts the drain (serve); a second one ends the process at once, as
	// the signal's default does: the audit journal keeps what was not shipped.
	go func() { <-ctx.Done(); stop() }()
	code := cli.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
