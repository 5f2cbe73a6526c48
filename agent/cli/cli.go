// Package cli is the mcp-gateway-agent command line: it parses the subcommands and flags,
// loads the config, sets up logging, and runs the connector until the context ends.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// ErrUsage is matched by errors about the command line itself; main exits with status 2.
var ErrUsage = errors.New("usage error")

const usage = `Usage: mcp-gateway-agent <command> [flags]

Commands:
  run [--headless] [--config FILE]   connect to the hub and serve the configured MCP backends,
                                     with a live dashboard on a terminal (logs to stderr otherwise)
  dashboard [--socket PATH]          show the dashboard of the agent already running (a service)
` + setupUsage + backendsUsage + serviceUsage + logsUsage + `  update [--check] [--config FILE]   update this binary to the release the hub offers (signed);
                                     --check only reports
` + uninstallUsage + `  version                            print the version

Flags for run:
  --config FILE        config file (default ~/.mcp-gateway-agent/config.toml)
  --headless           no dashboard; log to stderr
  --socket PATH        control socket (default ~/.mcp-gateway-agent/agent.sock); "off" for none
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
		return restartIfAsked(runCmd(ctx, rest, stdout, stderr))
	case "dashboard":
		return dashboardCmd(ctx, rest, stdout, stderr)
	case "setup":
		return setupCmd(ctx, rest, os.Stdin, stdout, stderr)
	case "backends":
		return backendsCmd(ctx, rest, stdout, stderr)
	case "conformance-client": // hidden: the conformance suite's client scenarios (docs/OAUTH-BACKENDS.md)
		return conformanceClient(ctx, rest, stderr)
	case "service":
		return serviceCmd(ctx, rest, stdout, stderr)
	case "logs":
		return logsCmd(ctx, rest, stdout, stderr)
	case "version":
		return versionCmd(rest, stdout, stderr)
	case "update":
		return updateCmd(ctx, rest, stdout, stderr)
	case "uninstall":
		return uninstallCmd(rest, os.Stdin, stdout, stderr)
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
