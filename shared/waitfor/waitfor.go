// Package waitfor waits in tests for state that has no event to wait on: it polls a
// condition until it holds or a deadline passes. Tests wait on events where there are any;
// this is for the rest (a process's output, a table row, a goroutine count).
package waitfor

import (
	"testing"
	"time"
)

// interval is how often a condition is checked: short beside the generous deadlines tests
// give, long enough not to spin.
const interval = 20 * time.Millisecond

// Poll reports whether cond held within d, checking it every interval.
func Poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval) // polling: the state has no event to wait on
	}
	return true
}

// Until fails t when cond does not hold within d, naming what was awaited, and returns how
// long it took.
func Until(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	if !Poll(d, cond) {
		t.Fatalf("timed out after %s waiting for %s", d, what)
	}
	return time.Since(start)
}
