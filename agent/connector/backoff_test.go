package connector

import (
	"testing"
	"time"
)

func TestBackoffCeiling(t *testing.T) {
	b := Backoff{}
	for _, c := range []struct {
		n    int
		want time.Duration
	}{
		{0, time.Second}, {1, 2 * time.Second}, {2, 4 * time.Second}, {3, 8 * time.Second},
		{4, 16 * time.Second}, {5, 30 * time.Second}, {6, 30 * time.Second}, {1000, 30 * time.Second},
	} {
		if got := b.Ceiling(c.n); got != c.want {
			t.Errorf("Ceiling(%d) = %s, want %s", c.n, got, c.want)
		}
	}
}

// Full jitter: every wait lies in [0, ceiling], and the draws cover the range.
func TestBackoffJitterWithinBounds(t *testing.T) {
	b := Backoff{Base: 10 * time.Millisecond, Max: 300 * time.Millisecond}
	for n := range 8 {
		ceil := b.Ceiling(n)
		var lo, hi time.Duration = ceil, 0
		for range 2000 {
			d := b.Delay(n)
			if d < 0 || d > ceil {
				t.Fatalf("Delay(%d) = %s, outside [0, %s]", n, d, ceil)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo > ceil/10 || hi < ceil*9/10 {
			t.Errorf("Delay(%d) spans only [%s, %s] of [0, %s]: not full jitter", n, lo, hi, ceil)
		}
	}
}

func TestBackoffExtremes(t *testing.T) {
	zero := Backoff{Rand: func(int64) int64 { return 0 }}
	top := Backoff{Rand: func(n int64) int64 { return n - 1 }}
	if d := zero.Delay(3); d != 0 {
		t.Errorf("lowest draw = %s, want 0", d)
	}
	if d := top.Delay(3); d != 8*time.Second {
		t.Errorf("highest draw at retry 3 = %s, want 8s", d)
	}
	if d := top.Delay(50); d != 30*time.Second {
		t.Errorf("highest draw at retry 50 = %s, want the 30s cap", d)
	}
}

// The retry count grows after short connections and starts over after a stable one.
func TestBackoffReset(t *testing.T) {
	top := Backoff{Rand: func(n int64) int64 { return n - 1 }}
	for _, c := range []struct {
		n        int
		up       time.Duration
		wantWait time.Duration
		wantNext int
	}{
		{0, 0, time.Second, 1},
		{1, 0, 2 * time.Second, 2},
		{4, 59 * time.Second, 16 * time.Second, 5},
		{9, 0, 30 * time.Second, 10},
		{9, 60 * time.Second, time.Second, 1},
		{5, 2 * time.Hour, time.Second, 1},
	} {
		wait, next := top.After(c.n, c.up)
		if wait != c.wantWait || next != c.wantNext {
			t.Errorf("After(%d, %s) = %s, %d; want %s, %d", c.n, c.up, wait, next, c.wantWait, c.wantNext)
		}
	}
}
