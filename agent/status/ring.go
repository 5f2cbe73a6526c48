package status

import (
	"context"
	"sync/atomic"
)

// ring keeps the last len(buf) values put in it.
type ring[T any] struct {
	buf  []T
	next int // where the next value goes
	n    int // values held, at most len(buf)
}

func newRing[T any](size int) ring[T] { return ring[T]{buf: make([]T, size)} }

func (r *ring[T]) put(v T) {
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	if r.n < len(r.buf) {
		r.n++
	}
}

func (r *ring[T]) clear() {
	clear(r.buf)
	r.next, r.n = 0, 0
}

// each visits the values oldest first.
func (r *ring[T]) each(f func(*T)) {
	start := (r.next - r.n + len(r.buf)) % len(r.buf)
	for i := range r.n {
		f(&r.buf[(start+i)%len(r.buf)])
	}
}

func (r *ring[T]) newestFirst() []T {
	out := make([]T, r.n)
	i := r.n
	r.each(func(v *T) { i--; out[i] = *v })
	return out
}

// DefaultSubscriptionBuffer is the channel capacity of a Subscription when none is given.
const DefaultSubscriptionBuffer = 64

// Subscription receives Events until closed. Its channel is bounded: when the reader falls
// behind, new events are dropped (and counted) rather than slowing the agent down.
type Subscription struct {
	t       *Tracker
	c       chan Event
	dropped atomic.Uint64
}

// Subscribe starts a subscription with a channel of capacity buf (DefaultSubscriptionBuffer
// when buf ≤ 0). Close it when done.
func (t *Tracker) Subscribe(buf int) *Subscription {
	if buf <= 0 {
		buf = DefaultSubscriptionBuffer
	}
	s := &Subscription{t: t, c: make(chan Event, buf)}
	t.mu.Lock()
	t.subs[s] = struct{}{}
	t.mu.Unlock()
	return s
}

// C delivers the events. It is closed by Close.
func (s *Subscription) C() <-chan Event { return s.c }

// Dropped counts the events lost because the channel was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes its channel. It may be called more than once.
func (s *Subscription) Close() {
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	if _, ok := s.t.subs[s]; ok {
		delete(s.t.subs, s)
		close(s.c)
	}
}

// notify is called with t.mu held, which also guards against a send on a closed channel.
func (t *Tracker) notify(e Event) {
	for s := range t.subs {
		select {
		case s.c <- e:
		default:
			s.dropped.Add(1)
		}
	}
}

// WaitFor returns when ok holds for a snapshot of the state (checked now and after every
// change), or with ctx's error. The self-update's rollback waits for "connected" this way.
func (t *Tracker) WaitFor(ctx context.Context, ok func(Snapshot) bool) error {
	sub := t.Subscribe(1)
	defer sub.Close()
	for !ok(t.Snapshot()) {
		select {
		case <-sub.C():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
