// Package cli is the mcp-gateway-agent command line: it parses the subcommands and flags,
// loads the config, sets up logging, and runs the connector until the context ends.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// ErrUsage is matched by errors about the command line itself; main exits with status 2.
var ErrUsage = errors.New("usage error")

// ShutdownTimeout bounds how long run waits, after the context ends, for the tunnel and the
// backend processes to stop.
const ShutdownTimeout = 15 * time.Second

const usage = `Usage: mcp-gateway-agent <command> [flags]

Commands:
  run [--headless] [--config FILE]   connect to the hub and serve the configured MCP backends
                                     (the interactive dashboard comes in a later release; for
                                     now run always runs headless, logging to stderr)
  version                            print the version

Flags for run:
  --config FILE        config file (default ~/.mcp-gateway-agent/config.toml)
  --headless           no dashboard; log to stderr
  --agent-id ID        override [agent] agent_id
  --gateway-url URL    override [agent] gateway_url
  --log-level LEVEL    debug, info, warn or error

Environment: MCPGW_AGENT_ID, MCPGW_GATEWAY_URL, MCPGW_API_KEY override the file; flags
override the environment.
`

// Run runs one command. stdout gets the command's output, stderr usage text and logs.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command given", ErrUsage)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		return runCmd(ctx, rest, stderr)
	case "version":
		return versionCmd(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, cmd)
	}
}

func versionCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	fs.String("config", "", "config file (unused)")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "mcp-gateway-agent", version.String())
	return nil
}

func runCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	path := fs.String("config", "", "config file (default ~/.mcp-gateway-agent/config.toml)")
	headless := fs.Bool("headless", false, "no dashboard; log to stderr")
	var flags config.Flags
	fs.StringVar(&flags.AgentID, "agent-id", "", "override [agent] agent_id")
	fs.StringVar(&flags.GatewayURL, "gateway-url", "", "override [agent] gateway_url")
	fs.StringVar(&flags.LogLevel, "log-level", "", "debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*path, os.LookupEnv, flags)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.Agent.Level()}))
	if !*headless {
		log.Info("the interactive dashboard is not available yet; running headless")
	}
	if len(cfg.Unknown) > 0 {
		log.Warn("config keys not understood, ignored", "file", cfg.Path, "keys", cfg.Unknown)
	}
	log.Info("starting", "version", version.Version, "agent", cfg.Agent.AgentID,
		"gateway_url", cfg.Agent.GatewayURL, "backends", len(cfg.Backends), "config", cfg.Path)
	a, err := connector.New(cfg, connector.Options{Logger: log})
	if err != nil {
		return err
	}
	return runAgent(ctx, a, log)
}

// runAgent runs a until ctx ends, then gives it ShutdownTimeout to stop its backends.
func runAgent(ctx context.Context, a *connector.Agent, log *slog.Logger) error {
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	select {
	case err := <-done:
		return err
	case <-time.After(ShutdownTimeout):
		return fmt.Errorf("shutdown took longer than %s; backend processes may still run", ShutdownTimeout)
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %s: %w", ErrUsage, fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s: unexpected argument %q", ErrUsage, fs.Name(), fs.Arg(0))
	}
	return nil
}
