package gateway

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// recEmitter records what a call emits to it.
type recEmitter struct {
	mu  sync.Mutex
	got []string
}

func (r *recEmitter) emit(_ context.Context, msg []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, string(msg))
	return nil
}

func (r *recEmitter) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// The reply of a client's retry keeps the call's notifications even when the earlier
// reply's turn ends after the retry attached (a regression: progress of a call whose backend
// asked the client something was lost), and notifications made while no reply is attached
// are held and sent, in order, to the next one.
func TestBridgedNotificationsReachTheRetry(t *testing.T) {
	ctx := context.Background()
	b := &bridgedCall{}
	first, retry := &recEmitter{}, &recEmitter{}
	b.attach(ctx, first)
	_ = b.emit(ctx, []byte("p1"))
	b.attach(ctx, retry) // the client answered and retried at once
	b.detach(first)      // then the first reply's turn ends
	_ = b.emit(ctx, []byte("p2"))
	b.detach(retry)
	_ = b.emit(ctx, []byte("p3")) // the call waits for another retry
	_ = b.emit(ctx, []byte("p4"))
	last := &recEmitter{}
	b.attach(ctx, last)
	_ = b.emit(ctx, []byte("p5"))
	for _, c := range []struct {
		name string
		r    *recEmitter
		want string
	}{{"first", first, "[p1]"}, {"retry", retry, "[p2]"}, {"last", last, "[p3 p4 p5]"}} {
		if got := fmt.Sprint(c.r.all()); got != c.want {
			t.Errorf("%s reply got %s, want %s", c.name, got, c.want)
		}
	}
}

// At most maxHeld notifications wait for a retry; the newest are kept.
func TestHeldNotificationsBounded(t *testing.T) {
	ctx := context.Background()
	b := &bridgedCall{}
	for i := range maxHeld + 10 {
		_ = b.emit(ctx, fmt.Appendf(nil, "p%d", i))
	}
	r := &recEmitter{}
	b.attach(ctx, r)
	got := r.all()
	if len(got) != maxHeld || got[0] != "p10" || got[len(got)-1] != fmt.Sprintf("p%d", maxHeld+9) {
		t.Errorf("held %d: first %q last %q", len(got), got[0], got[len(got)-1])
	}
}
