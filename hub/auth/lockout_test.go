package auth

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// An attacker at one address cannot lock the real user out, nor make the real user's login
// wait: a burst of wrong passwords for alice from address A locks alice at A only, and
// while one of A's attempts is stuck in the middle of its password check (and the rest of
// the burst queued behind it), alice logs in from address B. Before, attempts queued per
// name: B's login waited behind all of A's (64 of them made a real login take 5.3 s), and
// 5 of them locked alice everywhere for 15 minutes.
func TestAttackerElsewhereNeitherLocksNorQueuesTheUser(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{})
	const attacker, user = "198.51.100.7", "203.0.113.5"

	stuck, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	f.a.hashHook = func(delta int) {
		if delta > 0 && first.CompareAndSwap(false, true) { // the first check: the attacker's
			close(stuck)
			<-release
		}
	}
	const burst = 64
	errs := make(chan error, burst)
	go func() { _, err := f.a.Login(ctx, "alice", "a wrong guess, long enough", attacker); errs <- err }()
	<-stuck
	for range burst - 1 {
		go func() { _, err := f.a.Login(ctx, "alice", "a wrong guess, long enough", attacker); errs <- err }()
	}

	// The attacker's attempt is in the middle of its check: alice at B is not behind it.
	done := make(chan error, 1)
	go func() { _, err := f.a.Login(ctx, "alice", alicePW, user); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("alice from her own address during the burst: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("alice's login from another address waited for the attacker's attempts")
	}
	close(release)

	checked := 0
	for range burst {
		switch err := <-errs; {
		case errors.Is(err, ErrInvalidCredentials):
			checked++
		case errors.Is(err, ErrLocked):
		default:
			t.Errorf("attacker's attempt: %v", err)
		}
	}
	if checked != 5 {
		t.Errorf("%d of the attacker's %d guesses were checked, want MaxFailures (5)", checked, burst)
	}
	if _, err := f.a.Login(ctx, "alice", alicePW, attacker); !errors.Is(err, ErrLocked) {
		t.Errorf("right password from the attacker's address after the burst: %v, want locked", err)
	}
	if _, err := f.a.Login(ctx, "alice", alicePW, user); err != nil {
		t.Errorf("alice from her own address after the burst: %v", err)
	}
	if u := f.user(t); u.LockedUntil != nil {
		t.Errorf("alice is locked everywhere after one address's burst: until %v", u.LockedUntil)
	}
}

// Guessing from many addresses meets the backstop: MaxUserFailures failures from all
// addresses together lock the user everywhere, her own address too; and an unknown name
// locks alike at the same count, per address and everywhere, so the lockout still tells
// no names apart. An administrator's new password lifts both kinds of lock.
func TestManyAddressesLockTheUserEverywhere(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{MaxFailures: 2, MaxUserFailures: 6, LockFor: time.Minute})
	const guess = "a wrong guess, long enough"
	for _, name := range []string{"alice", "nobody"} {
		fail := func(from, what string) {
			t.Helper()
			if _, err := f.a.Login(ctx, name, guess, from); !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("%s from %s, %s: %v, want checked and refused", name, from, what, err)
			}
		}
		for _, from := range []string{"198.51.100.1", "198.51.100.2"} {
			fail(from, "guess 1")
			fail(from, "guess 2")
			var locked *LockedError
			if _, err := f.a.Login(ctx, name, guess, from); !errors.As(err, &locked) {
				t.Fatalf("%s from %s after 2 guesses: %v, want locked there", name, from, err)
			}
		}
		fail("203.0.113.99", "a fresh address after two locked ones") // 5 failures in all
		fail("198.51.100.3", "the sixth failure")                     // the backstop
		if _, err := f.a.Login(ctx, name, alicePW, "203.0.113.5"); !errors.Is(err, ErrLocked) {
			t.Errorf("%s from an untouched address after 6 failures from 4 addresses: %v, want locked everywhere", name, err)
		}
	}
	must(t, f.a.SetPassword(ctx, f.alice.ID, "set by the owner!"))
	f.clk.t = time.Now().Add(time.Second)
	for _, from := range []string{"198.51.100.1", "203.0.113.5"} {
		if _, err := f.a.Login(ctx, "alice", "set by the owner!", from); err != nil {
			t.Errorf("alice from %s after an administrator set her password: %v", from, err)
		}
	}
}
