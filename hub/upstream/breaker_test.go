package upstream

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBreakerCycle(t *testing.T) {
	b := breaker{threshold: 2, cooldown: time.Minute}
	now := time.Unix(1000, 0)
	for i := range 2 {
		if _, _, ok := b.admit(now); !ok {
			t.Fatalf("call %d refused while closed", i)
		}
		b.settle(false, failed, "boom", now)
	}
	if b.state != stateOpen || b.opened != 1 {
		t.Fatalf("after 2 failures: state %s, opened %d", b.state, b.opened)
	}
	if _, retry, ok := b.admit(now.Add(10 * time.Second)); ok || retry != 50*time.Second {
		t.Fatalf("open breaker: ok %v, retry %s", ok, retry)
	}
	later := now.Add(time.Minute)
	probe, _, ok := b.admit(later)
	if !ok || !probe || b.state != stateHalfOpen {
		t.Fatalf("after the cooldown: probe %v ok %v state %s", probe, ok, b.state)
	}
	if _, retry, ok := b.admit(later); ok || retry != probeRetry {
		t.Fatalf("second call during the probe: ok %v retry %s", ok, retry)
	}
	b.settle(true, failed, "still down", later)
	if b.state != stateOpen || b.opened != 2 {
		t.Fatalf("failed probe: state %s opened %d", b.state, b.opened)
	}
	again := later.Add(time.Minute)
	if probe, _, ok = b.admit(again); !probe || !ok {
		t.Fatal("no second probe")
	}
	b.settle(true, succeeded, "", again)
	if b.state != stateClosed || b.failures != 0 {
		t.Fatalf("successful probe: state %s failures %d", b.state, b.failures)
	}
}

// A client that gives up during the probe neither opens nor closes the breaker, and lets
// the next call probe.
func TestBreakerNeutralProbe(t *testing.T) {
	b := breaker{threshold: 1, cooldown: time.Second, state: stateOpen}
	now := time.Unix(1000, 0)
	probe, _, _ := b.admit(now)
	b.settle(probe, neutral, "", now)
	if b.state != stateHalfOpen {
		t.Fatalf("state %s", b.state)
	}
	if probe, _, ok := b.admit(now); !probe || !ok {
		t.Fatal("next call is not the probe")
	}
}

func TestGateQueue(t *testing.T) {
	g := &gate{}
	lim := Limits{MaxConcurrent: 1, MaxQueue: 1}
	ctx := context.Background()
	if err := g.acquire(ctx, lim); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- g.acquire(ctx, lim) }()
	waitFor(t, func() bool { return g.status(key{}, time.Now()).Queued == 1 })
	if err := g.acquire(ctx, lim); !errors.Is(err, errBusy) {
		t.Fatalf("third call: %v, want busy", err)
	}
	g.release() // hands the slot to the waiter
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if st := g.status(key{}, time.Now()); st.InFlight != 1 || st.Queued != 0 {
		t.Fatalf("after hand-over: %+v", st)
	}
	// A waiter whose deadline passes leaves the queue.
	short, cancel := context.WithCancel(ctx)
	go func() { got <- g.acquire(short, lim) }()
	waitFor(t, func() bool { return g.status(key{}, time.Now()).Queued == 1 })
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	g.release()
	if st := g.status(key{}, time.Now()); st.InFlight != 0 || st.Queued != 0 {
		t.Fatalf("all released: %+v", st)
	}
}

// waitFor polls cond until it holds; the deadline is generous for a loaded machine.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30 s")
		}
		time.Sleep(time.Millisecond) // a poll of state that has no event to wait on
	}
}

// The bounds' cost per call on the hot path: breaker check, slot, release, settle.
func BenchmarkGate(b *testing.B) {
	g := &gate{br: breaker{threshold: 5, cooldown: time.Second}}
	lim := Limits{MaxConcurrent: 64, MaxQueue: 256}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			probe, _, _ := g.admit(time.Now())
			if err := g.acquire(ctx, lim); err != nil {
				b.Error(err)
				return
			}
			g.release()
			g.settle(probe, succeeded, "", time.Now())
		}
	})
}
