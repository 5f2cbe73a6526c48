package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/control"
	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/tui"
)

// dashboardCmd attaches the dashboard to the agent already running, through its control
// socket: no second tunnel, no second set of backend processes.
func dashboardCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dashboard", stderr)
	path := fs.String("config", "", "config file, for the setup key (default ~/.mcp-gateway-agent/config.toml)")
	socket := fs.String("socket", "", "control socket of the running agent (default ~/.mcp-gateway-agent/agent.sock)")
	once := fs.Bool("json", false, "print the agent's state once as JSON and exit (no terminal needed)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *socket == "" {
		p, err := config.SocketPath()
		if err != nil {
			return err
		}
		*socket = p
	}
	c := &control.Client{Path: *socket}
	snap, err := c.Snapshot(ctx)
	if err != nil {
		return err
	}
	if *once {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	}
	if !isTerminal(stdout) {
		return fmt.Errorf("%w: dashboard: stdout is not a terminal; use --json for a one-off state", ErrUsage)
	}
	mirror := status.New(status.Options{})
	mirror.Restore(snap)
	var link atomic.Value // string: what is wrong with the way to the agent
	link.Store("")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go follow(ctx, c, mirror, &link)
	cfg := &config.Config{Path: *path}
	return tui.Run(ctx, tui.Options{
		Tracker: mirror, Title: "dashboard",
		Reconnect:   func() error { return c.Reconnect(ctx) },
		CheckUpdate: c.CheckUpdate,
		Setup:       reconnectAfter(actionsFor(cfg).Setup, mirror, func() { _ = c.Reconnect(ctx) }),
		Link:        func() string { return link.Load().(string) },
	}, tea.WithOutput(stdout), terminalInput())
}

// follow keeps mirror up to date, re-attaching every second while the agent is away
// (restarted by its service, for instance).
func follow(ctx context.Context, c *control.Client, mirror *status.Tracker, link *atomic.Value) {
	for ctx.Err() == nil {
		err := c.Follow(ctx, mirror, func() { link.Store("") })
		if ctx.Err() != nil {
			return
		}
		link.Store(fmt.Sprintf("agent not reachable (%v); retrying", err))
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
