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
	code := cli.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
