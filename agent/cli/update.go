package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/control"
	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/agent/update"
	"github.com/mcp-gateway/mcp-gateway/installer"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// ErrRestart is returned by run when the agent stopped to be started again (after an update
// or a rollback) and could not re-exec itself; main exits with ExitRestart.
var ErrRestart = errors.New("restart needed")

// ExitRestart is the exit status that goes with ErrRestart.
const ExitRestart = update.ExitRestart

const updateUsage = `Usage: mcp-gateway-agent update [--check] [--config FILE]

Asks the hub for the release this agent should run; without --check, downloads it, verifies
its signature, checksum and version, and replaces this binary (the old one is kept next to it
as .old), showing the download's progress. Restart the agent afterwards (it says how: the
service, the running agent, or none yet); if the new version
cannot reach the hub within [agent] update_grace, it puts the old one back.
`

func updateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("update", stderr)
	fs.Usage = func() { fmt.Fprint(stderr, updateUsage) }
	path := fs.String("config", "", "config file (default ~/.mcp-gateway-agent/config.toml)")
	check := fs.Bool("check", false, "only report whether an update is available")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*path, os.LookupEnv, config.Flags{})
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.Agent.Level()}))
	u, err := newUpdater(cfg, log, func(done, total int64) { fmt.Fprintln(stderr, downloadProgress(done, total)) })
	if err != nil {
		return err
	}
	rel, err := u.Check(ctx)
	if err != nil {
		return err
	}
	switch {
	case rel == nil || release.SameVersion(rel.Version, version.Version):
		fmt.Fprintln(stdout, upToDate(rel))
		return nil
	case *check && rel.Newer:
		fmt.Fprintf(stdout, "update available: %s (running %s); run `mcp-gateway-agent update` to install it\n", rel.Version, version.Current())
		return nil
	case *check:
		fmt.Fprintln(stdout, notNewer(rel))
		return nil
	}
	// Not newer (a downgrade, or a development build) goes on to Verify, which refuses it
	// with the reason, after checking that the offer is genuine.
	target, statePath, err := updatePaths()
	if err != nil {
		return err
	}
	if err := u.Install(ctx, rel, target, statePath); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "updated %s from %s to %s (previous kept as %s%s)\n%s\n",
		target, version.Current(), rel.Version, target, update.OldSuffix, restartHint(ctx, *path))
	return nil
}

// downloadProgress is one line of an update's download progress.
func downloadProgress(done, total int64) string {
	const mb = 1 << 20
	if total <= 0 {
		return fmt.Sprintf("downloading: %.1f MB", float64(done)/mb)
	}
	return fmt.Sprintf("downloading: %3d%% (%.1f of %.1f MB)", done*100/total, float64(done)/mb, float64(total)/mb)
}

// restartHint says how to run the new binary: restart the service where one is installed,
// else restart the agent that is running (its control socket answers), else start one.
func restartHint(ctx context.Context, configPath string) string {
	if spec, err := installer.DefaultSpec(configPath); err == nil {
		if m, err := installer.NewManager(spec); err == nil && m.State().Installed {
			return "restart the service to run it: mcp-gateway-agent service restart"
		}
	}
	if socket, err := config.SocketPath(); err == nil {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if _, err := (&control.Client{Path: socket}).Snapshot(ctx); err == nil {
			return "the running agent still runs the old version: stop it and start `mcp-gateway-agent run` again"
		}
	}
	// No service, and no agent answers on the control socket (none runs, or one runs with
	// --socket off).
	return "no service is installed: restart the agent if one is running, or start it with `mcp-gateway-agent run`" +
		" (mcp-gateway-agent service install keeps it running)"
}

// devBuild reports a build without a release version ("dev"), which does not update itself.
func devBuild() bool {
	_, err := release.ParseVersion(version.Version)
	return err != nil
}

func upToDate(rel *update.Release) string {
	if devBuild() && rel != nil {
		return fmt.Sprintf("the hub offers %s; this development build (%s) does not update itself", rel.Version, version.Current())
	}
	if rel == nil {
		return fmt.Sprintf("up to date: the hub offers no update to this agent now (running %s)", version.Current())
	}
	return fmt.Sprintf("up to date: running %s, the hub offers %s", version.Current(), rel.Version)
}

func newUpdater(cfg *config.Config, log *slog.Logger, progress func(done, total int64)) (*update.Updater, error) {
	opts, err := update.FromConfig(cfg.Agent, log)
	if err != nil {
		return nil, err
	}
	opts.Progress = progress
	return update.New(opts)
}

func updatePaths() (target, state string, err error) {
	if target, err = update.Executable(); err != nil {
		return "", "", err
	}
	if state, err = config.StatePath(); err != nil {
		return "", "", err
	}
	return target, state, nil
}

func notNewer(rel *update.Release) string {
	if devBuild() {
		return upToDate(rel)
	}
	return upToDate(rel) + "; not newer, so `update` would refuse it"
}

// checkUpdate is the dashboard's and the control socket's "check for updates".
// The updater (and its HTTP client, with the connections it keeps) is made once, not per check.
func checkUpdate(cfg *config.Config, tr *status.Tracker, log *slog.Logger) func(context.Context) (string, error) {
	u, uerr := newUpdater(cfg, log, nil)
	return func(ctx context.Context) (string, error) {
		if uerr != nil {
			return "", uerr
		}
		rel, err := u.Check(ctx)
		if err != nil {
			return "", err
		}
		if rel == nil || !rel.Newer {
			return upToDate(rel), nil
		}
		tr.SetUpdateAvailable(rel.Version)
		return fmt.Sprintf("update available: %s (running %s)", rel.Version, version.Current()), nil
	}
}

// updates is run's self-update duty: the rollback trial of a new version and, in headless
// mode, the periodic check. When either needs the agent restarted it cancels run's context.
type updates struct {
	log     *slog.Logger
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	restart string // the binary to restart as; "" for no restart
}

// startUpdates starts the duty; run passes the returned context to the agent and calls
// finish with the agent's result.
func startUpdates(ctx context.Context, cfg *config.Config, tr *status.Tracker, headless bool, log *slog.Logger) (context.Context, *updates) {
	ctx, cancel := context.WithCancel(ctx)
	up := &updates{log: log, cancel: cancel}
	target, statePath, err := updatePaths()
	if err != nil {
		log.Warn("self-update is off", "err", err)
		return ctx, up
	}
	trial, err := update.Begin(statePath, version.Version, cfg.Agent.Grace(), log)
	if err != nil {
		log.Warn("cannot read the update state; no rollback guard", "err", err)
	}
	up.wg.Go(func() {
		if trial != nil && !up.probation(ctx, cancel, trial, tr) {
			return
		}
		switch {
		case !headless || !cfg.Agent.AutoUpdate:
		case devBuild():
			log.Info("automatic updates are off in a development build", "version", version.Current())
		default:
			up.auto(ctx, cancel, cfg, tr, target, statePath)
		}
	})
	return ctx, up
}

// probation waits for the trial; it reports whether the agent keeps running.
func (up *updates) probation(ctx context.Context, cancel func(), trial *update.Trial, tr *status.Tracker) bool {
	err := trial.Wait(ctx, connectedChan(ctx, tr))
	switch {
	case errors.Is(err, update.ErrRolledBack):
		up.set(trial.Pending.Binary)
		up.log.Error("rolled back; restarting the previous version", "err", err)
		cancel()
		return false
	case err != nil:
		// A rollback that could not put the old binary back, or a state file that cannot be
		// written: the running version is the best there is, so it keeps running.
		up.log.Error("update probation failed; running on", "version", trial.Pending.Version, "err", err)
	}
	return ctx.Err() == nil
}

func (up *updates) auto(ctx context.Context, cancel func(), cfg *config.Config, tr *status.Tracker, target, statePath string) {
	u, err := newUpdater(cfg, up.log, nil)
	if err != nil {
		up.log.Warn("automatic updates are off", "err", err)
		return
	}
	rel, err := u.Auto(ctx, cfg.Agent.Interval(), target, statePath, tr.SetUpdateAvailable)
	if err != nil {
		return
	}
	up.log.Info("restarting into the new version", "version", rel.Version)
	up.set(target)
	cancel()
}

func (up *updates) set(restart string) {
	up.mu.Lock()
	up.restart = restart
	up.mu.Unlock()
}

// finish waits for the duty to end (the agent has stopped, so its context is done) and
// restarts the process when an update or rollback asked for it.
func (up *updates) finish(runErr error) error {
	up.cancel()
	up.wg.Wait()
	up.mu.Lock()
	restart := up.restart
	up.mu.Unlock()
	if restart == "" {
		return runErr
	}
	return &restartError{binary: restart}
}

// restartError asks Run to restart the process once run has cleaned up.
type restartError struct{ binary string }

func (e *restartError) Error() string { return "restart as " + e.binary }
func (e *restartError) Unwrap() error { return ErrRestart }

// restartIfAsked re-executes the binary when run asked for a restart. It returns only when
// that is impossible: then ErrRestart tells main to exit with ExitRestart, and the service
// manager starts the binary again.
func restartIfAsked(err error) error {
	var re *restartError
	if !errors.As(err, &re) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrRestart, update.Reexec(re.binary))
}

// connectedChan is closed once tr shows the agent connected to its hub.
func connectedChan(ctx context.Context, tr *status.Tracker) <-chan struct{} {
	c := make(chan struct{})
	go func() {
		if tr.WaitFor(ctx, func(s status.Snapshot) bool { return s.State == status.StateConnected }) == nil {
			close(c)
		}
	}()
	return c
}
