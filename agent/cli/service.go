package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/control"
	"github.com/mcp-gateway/mcp-gateway/agent/logfile"
	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/installer"
)

const serviceUsage = `  service install [--config FILE] [--start=false] [--print]
                                     run the agent in the background for this user (systemd user
                                     unit, LaunchAgent, Windows service); --print only shows it
  service uninstall|start|stop|restart
  service status                     installed / running / connected
`

func serviceCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, serviceUsage)
		return fmt.Errorf("%w: service: want install, uninstall, start, stop, restart or status", ErrUsage)
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet("service "+sub, stderr)
	path := configPathFlag(fs)
	start := fs.Bool("start", true, "install: start the service too")
	print := fs.Bool("print", false, "install: print the service definition instead of installing it")
	if err := parse(fs, rest); err != nil {
		return err
	}
	switch sub {
	case "run":
		return serviceRun(ctx, *path, stderr)
	case "status":
		return serviceStatus(ctx, *path, stdout)
	case "install", "uninstall", "start", "stop", "restart":
	default:
		fmt.Fprint(stderr, serviceUsage)
		return fmt.Errorf("%w: service: unknown subcommand %q", ErrUsage, sub)
	}
	spec, err := installer.DefaultSpec(*path)
	if err != nil {
		return err
	}
	if sub == "install" && *print {
		return printSpec(spec, stdout)
	}
	m, err := installer.NewManager(spec)
	if err != nil {
		return err
	}
	switch sub {
	case "install":
		return serviceInstall(m, spec, *start, stdout)
	case "uninstall":
		err = m.Uninstall()
	case "start":
		err = m.Start()
	case "stop":
		err = m.Stop()
	case "restart":
		err = m.Restart()
	}
	if err == nil {
		fmt.Fprintf(stdout, "Service %s: done.\n", sub)
	}
	return err
}

func serviceInstall(m *installer.Manager, spec installer.Spec, start bool, stdout io.Writer) error {
	if _, err := config.Load(spec.ConfigPath, os.LookupEnv, config.Flags{}); err != nil {
		return fmt.Errorf("the service would not start: %w\nRun `mcp-gateway-agent setup` first", err)
	}
	if strings.HasPrefix(spec.Executable, filepath.Clean(os.TempDir())+string(filepath.Separator)) {
		fmt.Fprintf(stdout, "Warning: the service will run %s, a temporary file (go run?); install the binary first.\n", spec.Executable)
	}
	if err := m.Install(); err != nil {
		return err
	}
	unit, _ := installer.UnitPath()
	if unit != "" {
		fmt.Fprintf(stdout, "Installed %s\n", unit)
	} else {
		fmt.Fprintf(stdout, "Installed the %s service.\n", installer.Name)
	}
	if start {
		if err := m.Start(); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Started. `mcp-gateway-agent service status` shows its state, `mcp-gateway-agent logs -f` its log.")
	}
	if h := installer.Hint(); h != "" {
		fmt.Fprintln(stdout, h)
	}
	return nil
}

func printSpec(spec installer.Spec, stdout io.Writer) error {
	text, err := installer.Definition(spec)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, text)
	return err
}

func serviceStatus(ctx context.Context, path string, stdout io.Writer) error {
	spec, err := installer.DefaultSpec(path)
	if err != nil {
		return err
	}
	if m, err := installer.NewManager(spec); err != nil {
		fmt.Fprintf(stdout, "Service:    unavailable: %v\n", err)
	} else {
		fmt.Fprintf(stdout, "Service:    %s\n", describeState(m.State()))
	}
	fmt.Fprintf(stdout, "Connection: %s\n", connection(ctx))
	if logPath, err := config.LogPath(); err == nil {
		fmt.Fprintf(stdout, "Log:        %s\n", logPath)
	}
	return nil
}

func describeState(st installer.State) string {
	var s string
	switch {
	case !st.Installed:
		s = "not installed"
	case st.Running:
		s = "installed, running"
	default:
		s = "installed, not running"
	}
	if st.Installed && st.UnitPath != "" {
		s += " (" + st.UnitPath + ")"
	}
	if st.Problem != "" {
		s += "; the service manager says: " + st.Problem
	}
	return s
}

// serviceRun is what the service manager starts: the agent, headless, logging to the
// rotating log file.
func serviceRun(ctx context.Context, path string, stderr io.Writer) error {
	logPath, err := config.LogPath()
	if err != nil {
		return err
	}
	w, err := logfile.Open(logPath, logfile.Options{})
	if err != nil {
		return err
	}
	defer w.Close()
	log := slog.New(slog.NewTextHandler(w, nil))
	args := []string{"--headless"}
	if path != "" {
		args = append(args, "--config", path)
	}
	return installer.Run(ctx, func(ctx context.Context) error {
		err := runCmd(ctx, args, w, w)
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Error("the agent stopped; the service manager restarts it", "err", err)
			fmt.Fprintln(stderr, "mcp-gateway-agent:", err)
		}
		return err
	})
}

// connection is what the running agent says about its tunnel, through its control socket.
func connection(ctx context.Context) string {
	socket, err := config.SocketPath()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	snap, err := (&control.Client{Path: socket}).Snapshot(ctx)
	switch {
	case err != nil:
		return "unknown (" + err.Error() + ")"
	case snap.State == status.StateRefused:
		return "refused by the hub: " + snap.Refusal
	case snap.State == status.StateReconnecting && snap.RetryIn > 0:
		return fmt.Sprintf("reconnecting in %s to %s", snap.RetryIn.Round(time.Second), snap.HubURL)
	}
	return snap.State + " " + snap.HubURL
}
