package update

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/minio/selfupdate"
)

// OldSuffix is appended to the binary's path for the copy of the previous version.
const OldSuffix = ".old"

// Executable is the running binary's path, symlinks resolved (what Apply replaces).
func Executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the running binary: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return exe, nil
}

// Apply replaces the binary at target with bin (verified by Verify), keeping the previous one
// at target+OldSuffix, and records the update as pending in the state file, so that the new
// version rolls back if it cannot reach the hub. The running process is not restarted.
func (u *Updater) Apply(bin []byte, rel *Release, target, statePath string) error {
	st, err := LoadState(statePath)
	if err != nil {
		return err
	}
	mode := os.FileMode(0o755)
	if info, err := os.Stat(target); err == nil {
		mode = info.Mode().Perm()
	}
	old := target + OldSuffix
	opts := selfupdate.Options{TargetPath: target, TargetMode: mode, OldSavePath: old}
	if err := opts.CheckPermissions(); err != nil {
		return fmt.Errorf("cannot replace %s: %w", target, err)
	}
	if err := selfupdate.Apply(bytes.NewReader(bin), opts); err != nil {
		if rerr := selfupdate.RollbackError(err); rerr != nil {
			return fmt.Errorf("replace %s: %w; putting the old binary back also failed (%v): restore it by hand from %s", target, err, rerr, old)
		}
		return fmt.Errorf("replace %s: %w", target, err)
	}
	st.Pending = &Pending{Previous: u.o.Current, Version: rel.Version, Binary: target, OldBinary: old, AppliedAt: time.Now().UTC()}
	if err := st.Save(statePath); err != nil {
		// Without the state there is no rollback: undo rather than run unguarded.
		if rerr := restore(target, old); rerr != nil {
			return fmt.Errorf("%w; and restoring %s failed: %v", err, target, rerr)
		}
		return fmt.Errorf("update undone: %w", err)
	}
	u.o.Logger.Info("binary updated; it runs at the next start", "from", u.o.Current, "to", rel.Version, "binary", target, "previous_kept_at", old)
	return nil
}

// restore puts the old binary back at target.
func restore(target, old string) error {
	if _, err := os.Stat(old); err != nil {
		return fmt.Errorf("the previous binary is gone: %w", err)
	}
	if err := os.Rename(old, target); err == nil {
		return nil
	}
	// Windows cannot rename over a running binary, but can rename it away.
	failed := target + ".failed"
	_ = os.Remove(failed)
	if err := os.Rename(target, failed); err != nil {
		return fmt.Errorf("move the new binary away: %w", err)
	}
	if err := os.Rename(old, target); err != nil {
		return fmt.Errorf("put the previous binary back: %w", err)
	}
	return nil
}
