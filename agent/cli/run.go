package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/agent/control"
	"github.com/mcp-gateway/mcp-gateway/agent/setup"
	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/shared/profile"
	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
	"github.com/mcp-gateway/mcp-gateway/tui"
)

// ShutdownTimeout bounds how long run waits, after the context ends, for the tunnel and the
// backend processes to stop.
const ShutdownTimeout = 15 * time.Second

// socketOff as --socket runs the agent without a control socket.
const socketOff = "off"

type runFlags struct {
	config, socket string
	headless       bool
	overrides      config.Flags
}

func parseRunFlags(args []string, stderr io.Writer) (runFlags, error) {
	var f runFlags
	fs := newFlagSet("run", stderr)
	fs.StringVar(&f.config, "config", "", "config file (default ~/.mcp-gateway-agent/config.toml)")
	fs.BoolVar(&f.headless, "headless", false, "no dashboard; log to stderr")
	fs.StringVar(&f.socket, "socket", "", `control socket (default ~/.mcp-gateway-agent/agent.sock); "off" for none`)
	fs.StringVar(&f.overrides.AgentID, "agent-id", "", "override [agent] agent_id")
	fs.StringVar(&f.overrides.GatewayURL, "gateway-url", "", "override [agent] gateway_url")
	fs.StringVar(&f.overrides.LogLevel, "log-level", "", "debug, info, warn or error")
	return f, parse(fs, args)
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := config.Load(f.config, os.LookupEnv, f.overrides)
	if err != nil {
		return err
	}
	interactive := !f.headless && isTerminal(stdout)
	tracker := status.New(status.Options{Version: version.Current(), HubURL: cfg.Agent.GatewayURL, AgentID: cfg.Agent.AgentID})
	log := runLogger(cfg, tracker, interactive, stderr)
	ln, err := listenControl(f.socket, log)
	if err != nil {
		return err
	}
	log.Info("starting", "version", version.Current(), "agent", cfg.Agent.AgentID,
		"gateway_url", cfg.Agent.GatewayURL, "backends", len(cfg.Backends), "config", cfg.Path)
	if w := setup.PlaintextWarning(cfg.Agent.GatewayURL); w != "" {
		log.Warn(w)
	}
	tokens, err := oauthStore(cfg.Path)
	if err != nil {
		if ln != nil {
			_ = ln.Close()
		}
		return err
	}
	tracer, err := tracing.New(ctx, cfg.Tracing, tracing.Service{Name: "mcp-gateway-agent", Version: version.Current()})
	if err != nil {
		if ln != nil {
			_ = ln.Close()
		}
		return err
	}
	defer func() {
		if err := tracer.Shutdown(context.WithoutCancel(ctx)); err != nil {
			log.Warn("tracing: spans not exported", "err", err)
		}
	}()
	a, err := connector.New(cfg, connector.Options{Logger: log, Status: tracker, OAuth: tokens, Tracer: tracer})
	if err != nil {
		if ln != nil {
			_ = ln.Close()
		}
		return err
	}
	acts := actionsFor(cfg)
	acts.CheckUpdate = checkUpdate(cfg, tracker, log)
	ctx, upd := startUpdates(ctx, cfg, tracker, !interactive, log)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	if ln != nil {
		srv := &control.Server{Tracker: tracker, Reconnect: a.Reconnect, CheckUpdate: acts.CheckUpdate, Logger: log}
		wg.Go(func() {
			if err := srv.Serve(ctx, ln); err != nil {
				log.Error("control socket stopped", "err", err)
			}
		})
	}
	if interactive {
		return upd.finish(runTUI(ctx, a, tracker, acts, stdout, stderr))
	}
	stopProfile, err := profile.Start(os.LookupEnv)
	if err != nil {
		return err
	}
	defer stopProfile()
	return upd.finish(runAgent(ctx, a, log))
}

// runLogger tees the agent's log into the tracker (the dashboard's Logs panel), and to
// stderr unless the dashboard is drawn there.
func runLogger(cfg *config.Config, tr *status.Tracker, interactive bool, stderr io.Writer) *slog.Logger {
	var text slog.Handler
	if !interactive {
		text = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.Agent.Level()})
	}
	log := slog.New(status.NewLogHandler(tr, cfg.Agent.Level(), text))
	if len(cfg.Unknown) > 0 {
		log.Warn("config keys not understood, ignored", "file", cfg.Path, "keys", cfg.DescribeUnknown())
	}
	return log
}

// listenControl opens the control socket, unless it is off or another live agent holds it.
func listenControl(path string, log *slog.Logger) (net.Listener, error) {
	if path == socketOff {
		return nil, nil
	}
	if path == "" {
		p, err := config.SocketPath()
		if err != nil {
			return nil, err
		}
		path = p
	}
	ln, err := control.Listen(path)
	switch {
	case errors.Is(err, control.ErrUnsupported):
		log.Info("no control socket on this platform; `mcp-gateway-agent dashboard` cannot attach", "reason", err)
		return nil, nil
	case errors.Is(err, control.ErrAgentRunning):
		// Its socket stays its own. Two agents with one home are usually a mistake (with one
		// agent id they take turns at the hub, and that is logged), but agents with separate
		// configs are legitimate, so this one runs on without a control socket.
		log.Warn("another agent is running with the same home; this one runs without a control socket (dashboard attaches to the other)", "socket", path)
		return nil, nil
	}
	return ln, err
}

// actions are what the dashboard's s and u keys run; nil ones say they are not available.
type actions struct {
	Setup       func(stdin io.Reader, stdout, stderr io.Writer) error
	CheckUpdate func(ctx context.Context) (string, error)
}

// actionsFor wires the setup wizard (agent/setup) and, when it exists, the update check.
func actionsFor(cfg *config.Config) actions {
	return actions{
		Setup: func(in io.Reader, out, _ io.Writer) error {
			res, err := setup.Wizard{In: in, Out: out, ConfigPath: cfg.Path}.Run(context.Background())
			if err == nil && res.Written {
				fmt.Fprintln(out, "\nSaved. Restart the agent to use the new settings.")
			}
			fmt.Fprint(out, "Press Enter to return to the dashboard. ")
			_, _ = fmt.Fscanln(in)
			return err
		},
	}
}

// reconnectAfter runs setup, then has the agent reconnect at once if it is not connected:
// the wizard proves the settings with a real handshake under the same agent id, which makes
// the hub replace the running agent, and a replaced agent would otherwise wait 30 s.
func reconnectAfter(setup func(io.Reader, io.Writer, io.Writer) error, tr *status.Tracker, reconnect func()) func(io.Reader, io.Writer, io.Writer) error {
	return func(in io.Reader, out, errw io.Writer) error {
		err := setup(in, out, errw)
		if tr.Snapshot().State != status.StateConnected {
			reconnect()
		}
		return err
	}
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
	return waitStopped(done)
}

// runTUI runs a under the dashboard; quitting the dashboard stops the agent.
func runTUI(ctx context.Context, a *connector.Agent, tr *status.Tracker, acts actions, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	err := tui.Run(ctx, tui.Options{
		Tracker: tr, Title: "run",
		Reconnect:   func() error { a.Reconnect(); return nil },
		CheckUpdate: acts.CheckUpdate,
		Setup:       reconnectAfter(acts.Setup, tr, a.Reconnect),
	}, tea.WithOutput(stdout), terminalInput())
	cancel()
	fmt.Fprintln(stderr, "mcp-gateway-agent: stopping the tunnel and the backends")
	return errors.Join(err, waitStopped(done))
}

func waitStopped(done <-chan error) error {
	select {
	case err := <-done:
		return err
	case <-time.After(ShutdownTimeout):
		return fmt.Errorf("shutdown took longer than %s; backend processes may still run", ShutdownTimeout)
	}
}

// isTerminal reports whether w is a terminal, where the dashboard can be drawn.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// terminalInput reads keys from stdin when it is a terminal, else from the controlling tty.
func terminalInput() tea.ProgramOption {
	if term.IsTerminal(os.Stdin.Fd()) {
		return tea.WithInput(os.Stdin)
	}
	return tea.WithInputTTY()
}
