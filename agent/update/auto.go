package update

import (
	"context"
	"errors"
	"time"
)

// FirstCheckDelay is the longest wait before the first automatic check after a start.
const FirstCheckDelay = time.Minute

// Auto checks the hub every interval (the first time after min(interval, FirstCheckDelay)).
// When a newer release is offered that was not rolled back before, it is downloaded,
// verified and applied to target, and Auto returns it: the caller restarts the agent. A
// failed check or a refused release is logged and tried again at the next interval.
// onAvailable, if not nil, hears of each newer version offered. Auto returns ctx's error
// when ctx ends.
func (u *Updater) Auto(ctx context.Context, interval time.Duration, target, statePath string, onAvailable func(string)) (*Release, error) {
	wait := min(interval, FirstCheckDelay)
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = interval
		rel, err := u.Check(ctx)
		switch {
		case errors.Is(err, ErrNoReleases):
			u.o.Logger.Info("no update offered", "reason", err)
			continue
		case err != nil:
			u.o.Logger.Warn("update check failed", "err", err)
			continue
		}
		if rel == nil || !rel.Newer {
			continue
		}
		if onAvailable != nil {
			onAvailable(rel.Version)
		}
		st, err := LoadState(statePath)
		switch {
		case err != nil:
			u.o.Logger.Warn("automatic update skipped", "err", err)
			continue
		case st.WasRolledBack(rel.Version):
			u.o.Logger.Warn("not installing an update that was rolled back before; run `mcp-gateway-agent update` to install it anyway", "version", rel.Version)
			continue
		case st.Pending != nil && st.Pending.Version == rel.Version && st.Pending.Binary == target:
			// Installed by hand (`update`) while this process runs: restarting is all that is left.
			// Installing again would overwrite the kept previous binary with this one.
			return rel, nil
		}
		if err := u.Install(ctx, rel, target, statePath); err != nil {
			if !errors.Is(err, context.Canceled) {
				u.o.Logger.Error("automatic update failed", "version", rel.Version, "err", err)
			}
			continue
		}
		return rel, nil
	}
}

// Install downloads, verifies and applies rel to target.
func (u *Updater) Install(ctx context.Context, rel *Release, target, statePath string) error {
	p, err := u.Download(ctx, rel)
	if err != nil {
		return err
	}
	bin, err := u.Verify(p)
	if err != nil {
		return err
	}
	return u.Apply(bin, rel, target, statePath)
}
