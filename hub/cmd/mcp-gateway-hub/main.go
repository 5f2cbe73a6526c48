// Command mcp-gateway-hub is the central MCP gateway server.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcp-gateway/mcp-gateway/hub/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts the drain (serve); a second one ends the process at once, as
	// the signal's default does: the audit journal keeps what was not shipped.
	go func() { <-ctx.Done(); stop() }()
	code := cli.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
