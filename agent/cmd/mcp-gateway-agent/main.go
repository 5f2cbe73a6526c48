// Command mcp-gateway-agent connects MCP servers on this machine to an mcp-gateway hub.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcp-gateway/mcp-gateway/agent/cli"
)

func main() {
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
