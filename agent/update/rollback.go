package update

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// ExitRestart is the exit status of an agent that stopped so that its service manager starts
// the binary again: after an update, or after a rollback, where it cannot re-exec itself.
const ExitRestart = 75

// Trial is a freshly updated version on probation: it must reach the hub before Deadline.
type Trial struct {
	Pending   Pending
	statePath string
	log       *slog.Logger
}

// Begin looks at the state when the agent starts. It returns a Trial when this process is
// the pending new version, and nil otherwise (clearing a pending update that is not the
// running version: the update was rolled back, or never started).
func Begin(statePath, current string, grace time.Duration, log *slog.Logger) (*Trial, error) {
	st, err := LoadState(statePath)
	if err != nil || st.Pending == nil {
		return nil, err
	}
	if !release.SameVersion(st.Pending.Version, current) {
		log.Warn("a pending update is not the running version; forgetting it", "pending", st.Pending.Version, "running", current)
		st.Pending = nil
		return nil, st.Save(statePath)
	}
	if st.Pending.Deadline.IsZero() {
		st.Pending.Deadline = time.Now().Add(grace).UTC()
		if err := st.Save(statePath); err != nil {
			return nil, err
		}
	}
	log.Info("running a new version on probation: it rolls back unless it reaches the hub in time",
		"version", current, "previous", st.Pending.Previous, "deadline", st.Pending.Deadline.Format(time.RFC3339))
	return &Trial{Pending: *st.Pending, statePath: statePath, log: log}, nil
}

// Wait waits for connected (closed when the agent is welcomed by its hub) or the deadline.
// Connected in time: the update is confirmed and nil returned. Deadline first: the previous
// binary is put back and ErrRolledBack returned; the caller stops the agent and restarts
// (Reexec). ctx ending first (a clean stop) returns nil and leaves the trial pending, with a
// new grace period at the next start.
func (t *Trial) Wait(ctx context.Context, connected <-chan struct{}) error {
	if ctx.Err() != nil {
		return t.stopped()
	}
	timer := time.NewTimer(time.Until(t.Pending.Deadline))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return t.stopped()
	case <-connected:
		return t.confirm()
	case <-timer.C:
		return t.rollback()
	}
}

// stopped records a clean stop during probation: the next start gets a full grace period.
// A crash does not get here, so a crash loop keeps its deadline and still rolls back.
func (t *Trial) stopped() error {
	st, err := LoadState(t.statePath)
	if err != nil || st.Pending == nil || st.Pending.Version != t.Pending.Version {
		return err
	}
	st.Pending.Deadline = time.Time{}
	return st.Save(t.statePath)
}

func (t *Trial) confirm() error {
	st, err := LoadState(t.statePath)
	if err != nil {
		return err
	}
	st.Pending = nil
	t.log.Info("update confirmed: the new version reached the hub", "version", t.Pending.Version)
	return st.Save(t.statePath)
}

func (t *Trial) rollback() error {
	p := t.Pending
	t.log.Error("the new version did not reach the hub within its grace period; rolling back",
		"version", p.Version, "previous", p.Previous, "binary", p.Binary)
	if err := restore(p.Binary, p.OldBinary); err != nil {
		return fmt.Errorf("roll back %s to %s: %w", p.Version, p.Previous, err)
	}
	st, err := LoadState(t.statePath)
	if err != nil {
		return err
	}
	st.Pending = nil
	if !st.WasRolledBack(p.Version) {
		st.RolledBack = append(st.RolledBack, p.Version)
	}
	if err := st.Save(t.statePath); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s did not reach the hub within the grace period; %s is back in place at %s", ErrRolledBack, p.Version, p.Previous, p.Binary)
}
