package ratelimit

import (
	"strings"
	"testing"
	"time"
)

// clock is a settable time for the limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestKeyBucket(t *testing.T) {
	c := &clock{time.Unix(1000, 0)}
	l := New(Config{Key: Rate{PerSecond: 2, Burst: 3}, Now: c.now})
	alice := Subject{Key: "k-alice"}
	for i := range 3 {
		if r := l.Allow(alice); r != nil {
			t.Fatalf("request %d within the burst refused: %v", i, r)
		}
	}
	r := l.Allow(alice)
	if r == nil || r.Scope != ScopeKey || r.RetryAfter != 500*time.Millisecond || r.Seconds() != 1 {
		t.Fatalf("over the burst: %+v", r)
	}
	if !strings.Contains(r.Error(), "limits.key_rate: 2 requests/s, burst 3") {
		t.Errorf("message %q", r.Error())
	}
	if l.Allow(Subject{Key: "k-bob"}) != nil {
		t.Fatal("another key was refused")
	}
	c.t = c.t.Add(500 * time.Millisecond)
	if r := l.Allow(alice); r != nil {
		t.Fatalf("after the refill: %v", r)
	}
	if st := l.Stats(); st.Refused[ScopeKey] != 1 || st.Buckets != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// The application bucket is shared by its keys; a refusal takes from neither bucket.
func TestApplicationBucket(t *testing.T) {
	c := &clock{time.Unix(1000, 0)}
	l := New(Config{Key: Rate{PerSecond: 10, Burst: 10}, Application: Rate{PerSecond: 1, Burst: 2}, Now: c.now})
	a, b := Subject{Key: "k1", Application: "ci"}, Subject{Key: "k2", Application: "ci"}
	if l.Allow(a) != nil || l.Allow(b) != nil {
		t.Fatal("within the application's burst refused")
	}
	r := l.Allow(a)
	if r == nil || r.Scope != ScopeApplication || r.Setting != "limits.application_rate" {
		t.Fatalf("over the application's burst: %+v", r)
	}
	if l.Allow(Subject{Key: "k3"}) != nil {
		t.Fatal("a key of no application was refused")
	}
	// k1 took 1 of its 10 tokens: the refusal took none.
	l.mu.Lock()
	tokens := l.buckets[bucketID{name: "k1"}].tokens
	l.mu.Unlock()
	if tokens != 9 {
		t.Fatalf("k1 has %g tokens, want 9", tokens)
	}
}

func TestOverrides(t *testing.T) {
	c := &clock{time.Unix(1000, 0)}
	l := New(Config{Key: Rate{PerSecond: 1, Burst: 1}, Keys: map[string]Rate{"k-ci": {}, "k-slow": {PerSecond: 0.001, Burst: 1}},
		Applications: map[string]Rate{"cursor": {PerSecond: 0.5, Burst: 1}}, Now: c.now})
	for range 100 {
		if l.Allow(Subject{Key: "k-ci"}) != nil {
			t.Fatal("a key whose override is no limit was refused")
		}
	}
	l.Allow(Subject{Key: "k-slow"})
	if r := l.Allow(Subject{Key: "k-slow"}); r == nil || r.Seconds() != 1000 || r.Setting != `limits.key_rates."k-slow"` {
		t.Fatalf("override: %+v", r)
	}
	l.Allow(Subject{Key: "k-x", Application: "cursor"})
	if r := l.Allow(Subject{Key: "k-y", Application: "cursor"}); r == nil || r.Scope != ScopeApplication {
		t.Fatalf("application override: %+v", r)
	}
}

// Buckets full again are forgotten: memory follows the active callers.
func TestSweep(t *testing.T) {
	c := &clock{time.Unix(1000, 0)}
	l := New(Config{Key: Rate{PerSecond: 10, Burst: 10}, Now: c.now})
	for i := range 1000 {
		l.Allow(Subject{Key: "k" + string(rune('a'+i%26)) + string(rune(i))})
	}
	busy := Subject{Key: "busy"}
	for range 10 {
		l.Allow(busy)
	}
	c.t = c.t.Add(500 * time.Millisecond) // the others are full again (9+5 ≥ 10), busy is not (0+5)
	l.mu.Lock()
	l.sweepLocked(c.t)
	n := len(l.buckets)
	l.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d buckets after the sweep, want only the busy one", n)
	}
}
