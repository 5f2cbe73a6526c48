package update

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func pendingFixture(t *testing.T) (target, state string) {
	t.Helper()
	dir := t.TempDir()
	target, state = filepath.Join(dir, "agent"), filepath.Join(dir, "update-state.json")
	os.WriteFile(target, []byte("new"), 0o755)
	os.WriteFile(target+OldSuffix, []byte("old"), 0o755)
	st := State{Pending: &Pending{Previous: "v1.0.0", Version: "v1.1.0", Binary: target, OldBinary: target + OldSuffix, AppliedAt: time.Now()}}
	if err := st.Save(state); err != nil {
		t.Fatal(err)
	}
	return target, state
}

var quiet = slog.New(slog.DiscardHandler)

func TestTrialConfirmed(t *testing.T) {
	target, state := pendingFixture(t)
	trial, err := Begin(state, "v1.1.0", time.Minute, quiet)
	if err != nil || trial == nil {
		t.Fatalf("begin: %v %v", trial, err)
	}
	connected := make(chan struct{})
	close(connected)
	if err := trial.Wait(context.Background(), connected); err != nil {
		t.Fatal(err)
	}
	if st, _ := LoadState(state); st.Pending != nil {
		t.Fatalf("still pending: %+v", st.Pending)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Fatalf("a confirmed update was undone: %q", b)
	}
	if trial, _ := Begin(state, "v1.1.0", time.Minute, quiet); trial != nil {
		t.Fatal("a confirmed update is on trial again")
	}
}

func TestTrialRollsBack(t *testing.T) {
	target, state := pendingFixture(t)
	trial, err := Begin(state, "v1.1.0", 50*time.Millisecond, quiet)
	if err != nil {
		t.Fatal(err)
	}
	err = trial.Wait(context.Background(), make(chan struct{}))
	if !errors.Is(err, ErrRolledBack) {
		t.Fatalf("got %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Fatalf("target holds %q after the rollback", b)
	}
	st, _ := LoadState(state)
	if st.Pending != nil || !st.WasRolledBack("v1.1.0") {
		t.Fatalf("state after rollback: %+v", st)
	}
}

// Restarts after a crash (no clean stop) do not extend the grace period: a crash loop still
// rolls back. A clean stop during the trial gives the next start a full grace period.
func TestTrialDeadline(t *testing.T) {
	target, state := pendingFixture(t)
	first, _ := Begin(state, "v1.1.0", -time.Second, quiet) // the crashed first run's grace has passed
	second, _ := Begin(state, "v1.1.0", time.Hour, quiet)
	if first == nil || second == nil || !first.Pending.Deadline.Equal(second.Pending.Deadline) {
		t.Fatalf("deadline moved: %v → %v", first.Pending.Deadline, second.Pending.Deadline)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := second.Wait(ctx, nil); err != nil {
		t.Fatal(err)
	}
	st, _ := LoadState(state)
	if st.Pending == nil || !st.Pending.Deadline.IsZero() {
		t.Fatalf("after a clean stop: %+v, want pending without a deadline", st.Pending)
	}
	third, _ := Begin(state, "v1.1.0", time.Hour, quiet)
	if third == nil || time.Until(third.Pending.Deadline) < 59*time.Minute {
		t.Fatalf("no new grace period after a clean stop: %+v", third)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Fatal("binary touched")
	}
	// The crash-loop case for real: an expired deadline rolls back at once.
	crashed, _ := Begin(state, "v1.1.0", time.Hour, quiet)
	crashed.Pending.Deadline = time.Now().Add(-time.Second)
	if err := crashed.Wait(context.Background(), make(chan struct{})); !errors.Is(err, ErrRolledBack) {
		t.Fatalf("expired deadline: %v", err)
	}
}

func TestBeginForgetsOtherVersions(t *testing.T) {
	target, state := pendingFixture(t)
	if trial, err := Begin(state, "v1.0.0", time.Minute, quiet); trial != nil || err != nil {
		t.Fatalf("the previous version is on trial: %v %v", trial, err)
	}
	if st, _ := LoadState(state); st.Pending != nil {
		t.Fatal("pending kept")
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Fatal("binary touched")
	}
	if trial, err := Begin(filepath.Join(t.TempDir(), "none.json"), "v1.0.0", time.Minute, quiet); trial != nil || err != nil {
		t.Fatalf("no state file: %v %v", trial, err)
	}
	os.WriteFile(state, []byte("{not json"), 0o600)
	if _, err := Begin(state, "v1.0.0", time.Minute, quiet); err == nil {
		t.Fatal("a corrupt state file was accepted")
	}
}

func TestBeginMatchesVersionsByPrecedence(t *testing.T) {
	_, state := pendingFixture(t)
	if trial, err := Begin(state, "1.1.0", time.Minute, quiet); trial == nil || err != nil {
		t.Fatalf("1.1.0 is the pending v1.1.0: %v %v", trial, err)
	}
}
