package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Concurrent wrong passwords must not outrun the lockout: each login of a user sees the
// failures of those before it, so no more than MaxFailures passwords are ever checked
// before the lock, however many arrive at once (an attacker's parallel burst once had
// every one checked, since all passed the lock check before any failure was counted).
func TestLockoutHoldsUnderConcurrentGuesses(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{MaxFailures: 3})
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.a.Login(ctx, "alice", "a wrong guess, long enough", testFrom)
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	checked := 0
	for err := range errs {
		switch {
		case errors.Is(err, ErrInvalidCredentials):
			checked++
		case errors.Is(err, ErrLocked):
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if checked > 3 {
		t.Errorf("%d of %d concurrent guesses were checked against the password; want at most MaxFailures (3)", checked, n)
	}
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); !errors.Is(err, ErrLocked) {
		t.Errorf("right password after the burst: %v, want locked", err)
	}
}

// Password hashing is bounded: at most maxConcurrentHashes argon2id computations (19 MiB
// each) run at once, so a burst of logins cannot exhaust the hub's memory.
func TestPasswordWorkIsBounded(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{MaxFailures: 1000})
	var mu sync.Mutex
	cur, peak := 0, 0
	f.a.hashHook = func(delta int) {
		mu.Lock()
		defer mu.Unlock()
		cur += delta
		peak = max(peak, cur)
	}
	var wg sync.WaitGroup
	for i := range 4 * maxConcurrentHashes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "alice"
			if i%2 == 1 {
				name = "nobody" // unknown users cost a verification too
			}
			// From many addresses: one address has one attempt at a time anyway.
			_, _ = f.a.Login(ctx, name, "a wrong guess, long enough", fmt.Sprintf("192.0.2.%d", i))
		}()
	}
	wg.Wait()
	if peak > maxConcurrentHashes || peak == 0 {
		t.Errorf("peak of %d concurrent password hashes, want 1 to %d", peak, maxConcurrentHashes)
	}
}

// A change of the user (here a new password) ends every token dated up to it, also one
// issued earlier in the same second: iat has whole seconds, and such a token once survived
// (a session logged in by whoever knew the old password kept going). A login right after
// the change still gets a token that works: it is dated after the change's second.
func TestChangeEndsTokensOfTheSameSecond(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{})
	f.a.tokens.Now, f.a.Now = time.Now, time.Now // the store's clock
	must(t, f.a.SetPassword(ctx, f.alice.ID, "the new long password"))
	changed := f.user(t).UpdatedAt
	// Tokens issued in the second of the change, before it.
	access, _, err := f.a.tokens.issueAt(changed.Truncate(time.Second), f.alice.ID, "viewer", TokenAccess)
	must(t, err)
	refresh, _, err := f.a.tokens.issueAt(changed.Truncate(time.Second), f.alice.ID, "viewer", TokenRefresh)
	must(t, err)
	if _, err := f.a.VerifyAccess(access); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("access token of the change's second: %v, want refused", err)
	}
	if _, err := f.a.Refresh(ctx, refresh); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("refresh token of the change's second: %v, want refused", err)
	}
	// Logging in with the new password right away works.
	pair, err := f.a.Login(ctx, "alice", "the new long password", testFrom)
	must(t, err)
	if _, err := f.a.VerifyAccess(pair.AccessToken); err != nil {
		t.Errorf("token of a login right after the change: %v", err)
	}
	if _, err := f.a.Refresh(ctx, pair.RefreshToken); err != nil {
		t.Errorf("refresh token of a login right after the change: %v", err)
	}
}

// A refresh token is exchanged once. Used again (two parties hold it: one stole it), it is
// refused and every token of the user ends, the ones the first exchange gave included; a
// new login works. A token exchanged once, and its successor, work: tested both ways.
func TestRefreshTokenReuseEndsTheSessions(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{})
	first, err := f.a.Login(ctx, "alice", alicePW, testFrom)
	must(t, err)
	second, err := f.a.Refresh(ctx, first.RefreshToken)
	must(t, err)
	third, err := f.a.Refresh(ctx, second.RefreshToken)
	must(t, err)
	if _, err := f.a.VerifyAccess(third.AccessToken); err != nil {
		t.Fatalf("rotated access token: %v", err)
	}
	if _, err := f.a.Refresh(ctx, first.RefreshToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("reused refresh token: %v, want refused", err)
	}
	if _, err := f.a.VerifyAccess(third.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("access token of the rotated chain after a reuse: %v, want refused", err)
	}
	if _, err := f.a.Refresh(ctx, third.RefreshToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("refresh token of the rotated chain after a reuse: %v, want refused", err)
	}
	f.clk.t = time.Now().Add(time.Second) // past the user's change
	again, err := f.a.Login(ctx, "alice", alicePW, testFrom)
	must(t, err)
	if _, err := f.a.Refresh(ctx, again.RefreshToken); err != nil {
		t.Errorf("refresh after a new login: %v", err)
	}
}

func TestSpentTokensPrune(t *testing.T) {
	var s spentTokens
	for i := range 3000 {
		if !s.spend(fmt.Sprint(i), 100, 50) {
			t.Fatalf("fresh jti %d refused", i)
		}
	}
	if s.spend("7", 100, 50) {
		t.Error("a spent jti was accepted again")
	}
	// Once they expire, entries go at the next prune.
	s.spend("late", 500, 200)
	if len(s.m) != 1 {
		t.Errorf("%d entries after their expiry, want 1", len(s.m))
	}
}

// Attempts queue alike for a known and an unknown name (one at a time per client address),
// so that the time a burst takes does not tell which names exist: serialising only known
// users would have made them slower under a burst.
func TestConcurrentLoginsQueueAlikeForUnknownNames(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{MaxFailures: 1000})
	for _, name := range []string{"alice", "nobody"} {
		var mu sync.Mutex
		cur, peak := 0, 0
		f.a.hashHook = func(delta int) {
			mu.Lock()
			defer mu.Unlock()
			cur += delta
			peak = max(peak, cur)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = f.a.Login(ctx, name, "a wrong guess, long enough", testFrom)
			}()
		}
		wg.Wait()
		if peak != 1 {
			t.Errorf("%s: %d password checks at once, want 1 (one attempt per address at a time)", name, peak)
		}
	}
}

// An unknown name locks after MaxFailures wrong passwords like a user does (423 with a
// lock end), so the lockout does not tell which names exist; its lock ends like a user's.
func TestUnknownNameLocksLikeAUser(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{MaxFailures: 3, LockFor: time.Minute})
	for _, name := range []string{"alice", "nobody"} {
		for i := range 3 {
			if _, err := f.a.Login(ctx, name, "a wrong guess, long enough", testFrom); !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("%s, attempt %d: %v", name, i+1, err)
			}
		}
		var locked *LockedError
		if _, err := f.a.Login(ctx, name, "a wrong guess, long enough", testFrom); !errors.As(err, &locked) || !locked.Until.Equal(f.clk.t.Add(time.Minute)) {
			t.Errorf("%s after 3 failures: %v, want locked for a minute", name, err)
		}
	}
	f.clk.Advance(time.Minute)
	if _, err := f.a.Login(ctx, "nobody", "a wrong guess, long enough", testFrom); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("unknown name after its lock: %v", err)
	}
}

func TestPhantomsBounded(t *testing.T) {
	var p failures
	now := time.Unix(1000, 0)
	for i := range maxTracked + 10 {
		p.fail(fmt.Sprint(i), now, 5, time.Minute)
	}
	if len(p.m) > maxTracked {
		t.Errorf("%d names counted, want at most %d", len(p.m), maxTracked)
	}
}
