package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/control"
	"github.com/mcp-gateway/mcp-gateway/agent/setup"
)

const setupUsage = `  setup                              interactive: hub URL, key, agent id and backends,
                                     checked with the hub, then written to config.toml
  setup --hub URL --key KEY [--agent-id ID] [--tls-skip-verify] [--skip-check]
                                     non-interactive (the key may come from MCPGW_API_KEY)
`

// setupCmd runs the wizard, or the non-interactive setup when --hub or --key is given.
func setupCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("setup", stderr)
	var o setup.Options
	fs.StringVar(&o.ConfigPath, "config", "", "config file (default ~/.mcp-gateway-agent/config.toml)")
	fs.StringVar(&o.Hub, "hub", "", "the hub: https://hub.example.com or wss://hub.example.com/agent/ws")
	fs.StringVar(&o.Key, "key", "", "the agent key (default $"+config.EnvAPIKey+")")
	fs.StringVar(&o.AgentID, "agent-id", "", "this agent's id (default: the host name)")
	fs.BoolVar(&o.TLSSkipVerify, "tls-skip-verify", false, "do not check the hub's certificate (testing only)")
	fs.BoolVar(&o.SkipCheck, "skip-check", false, "write the config without checking it with the hub")
	if err := parse(fs, args); err != nil {
		return err
	}
	if o.Key == "" {
		o.Key = os.Getenv(config.EnvAPIKey)
	}
	if o.Hub == "" && o.Key == "" && o.AgentID == "" {
		return wizardCmd(ctx, o.ConfigPath, stdin, stdout, stderr)
	}
	if gw, _, err := setup.HubURLs(o.Hub); o.Hub != "" && err == nil {
		if w := setup.PlaintextWarning(gw); w != "" {
			fmt.Fprintf(stderr, "warning: %s.\n", w)
		}
	}
	res, err := setup.Apply(ctx, o)
	if err != nil {
		return err
	}
	if o.SkipCheck {
		fmt.Fprintf(stdout, "Wrote %s without checking it with the hub.\n", res.Path)
		return nil
	}
	fmt.Fprintf(stdout, "The hub (version %s) accepted agent %q.\nWrote %s.\n",
		res.Welcome.HubVersion, res.Welcome.AgentID, res.Path)
	reconnectRunning(ctx, res.Welcome.AgentID, stdout)
	return nil
}

// reconnectRunning asks the agent running here (a service), if it has the id that setup just
// checked, to reconnect now: the hub gave the id to setup's handshake, and the running agent,
// refused as replaced, would otherwise wait 30 s. It keeps its old settings until restarted.
func reconnectRunning(ctx context.Context, agentID string, stdout io.Writer) {
	path, err := config.SocketPath()
	if err != nil {
		return
	}
	c := &control.Client{Path: path}
	snap, err := c.Snapshot(ctx)
	if err != nil || snap.AgentID != agentID {
		return // no agent running here, or another one the check did not displace
	}
	if err := c.Reconnect(ctx); err == nil {
		fmt.Fprintf(stdout, "The agent running here as %q was displaced by the check; it reconnected.\n", agentID)
	}
}

func wizardCmd(ctx context.Context, path string, stdin io.Reader, stdout, stderr io.Writer) error {
	res, err := setup.Wizard{In: stdin, Out: stdout, ConfigPath: path, OfferNext: true}.Run(ctx)
	if err != nil {
		return err
	}
	if res.Checked && res.Config != nil {
		reconnectRunning(ctx, res.Config.Agent.AgentID, stdout)
	}
	switch res.Next {
	case setup.NextRun:
		return runCmd(ctx, []string{"--config", res.Path}, stdout, stderr)
	case setup.NextService:
		return serviceCmd(ctx, []string{"install", "--start", "--config", res.Path}, stdout, stderr)
	}
	fmt.Fprintf(stdout, "Start the agent with: mcp-gateway-agent run%s\n", configFlag(path))
	return nil
}

// configFlag repeats --config in suggested commands when the default is not used.
func configFlag(path string) string {
	if path == "" {
		return ""
	}
	return " --config " + path
}
