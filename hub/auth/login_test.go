package auth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

const alicePW = "alice's long password"

// testFrom is the client address of the tests' logins, unless a test says otherwise.
const testFrom = "192.0.2.1"

// loginFixture: a store with alice (viewer, password alicePW), a cache, and an
// Authenticator on a fake clock with no failure floor.
type loginFixture struct {
	s     store.Store
	c     *Cache
	a     *Authenticator
	clk   *clock
	alice *store.User
}

func newLoginFixture(t *testing.T, cfg LoginConfig) *loginFixture {
	t.Helper()
	ctx := context.Background()
	f := &loginFixture{s: storetest.New(t)}
	tk, clk := newTestTokens(t)
	// An hour behind the real clock, which the store uses for UpdatedAt.
	clk.t = time.Now().Add(-time.Hour).Truncate(time.Second)
	f.clk = clk
	hash, err := HashPassword(alicePW)
	must(t, err)
	f.alice = &store.User{Name: "alice", Role: "viewer", PasswordHash: hash, CreatedAt: clk.t.Add(-time.Hour)}
	must(t, f.s.CreateUser(ctx, f.alice))
	f.c = NewCache(f.s, nil)
	must(t, f.c.Refresh(ctx))
	if cfg.FailureFloor == 0 {
		cfg.FailureFloor = -1
	}
	f.a = NewAuthenticator(f.s, f.c, tk, cfg)
	f.a.Now = clk.Now
	return f
}

func (f *loginFixture) user(t *testing.T) *store.User {
	t.Helper()
	u, err := f.s.GetUser(context.Background(), f.alice.ID)
	must(t, err)
	return u
}

func TestLoginAndVerify(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{})
	pair, err := f.a.Login(ctx, "alice", alicePW, testFrom)
	must(t, err)
	if pair.TokenType != "Bearer" || !pair.ExpiresAt.Equal(f.clk.t.Add(AccessTTL)) || !pair.RefreshExpiresAt.Equal(f.clk.t.Add(RefreshTTL)) {
		t.Errorf("pair = %+v", pair)
	}
	id, err := f.a.VerifyAccess(pair.AccessToken)
	must(t, err)
	if id.TokenID == "" || id != (Identity{UserID: f.alice.ID, Name: "alice", Role: "viewer", Kind: store.KindUser, TokenID: id.TokenID}) {
		t.Errorf("VerifyAccess = %+v", id)
	}
	if _, err := f.a.VerifyAccess(pair.RefreshToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("refresh token accepted as access token: %v", err)
	}
	if _, err := f.a.Refresh(ctx, pair.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("access token accepted as refresh token: %v", err)
	}

	f.clk.Advance(AccessTTL)
	if _, err := f.a.VerifyAccess(pair.AccessToken); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("expired access token: %v", err)
	}
	next, err := f.a.Refresh(ctx, pair.RefreshToken)
	must(t, err)
	if next.AccessToken == pair.AccessToken || next.RefreshToken == pair.RefreshToken {
		t.Error("Refresh returned the old tokens")
	}
	if _, err := f.a.VerifyAccess(next.AccessToken); err != nil {
		t.Errorf("refreshed access token refused: %v", err)
	}
}

func TestLoginRefusals(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{})
	nopw := &store.User{Name: "keyonly", Role: "owner"}
	must(t, f.s.CreateUser(ctx, nopw))
	cases := []struct{ name, pw string }{
		{"alice", "wrong password!!"},
		{"alice", ""},
		{"Alice", alicePW},
		{"bob", alicePW},
		{"", ""},
		{"keyonly", ""},
		{"keyonly", "anything at all"},
	}
	for _, c := range cases {
		pair, err := f.a.Login(ctx, c.name, c.pw, testFrom)
		if err != ErrInvalidCredentials || pair != (TokenPair{}) {
			t.Errorf("Login(%q, %q) = %+v, %v; want exactly ErrInvalidCredentials", c.name, c.pw, pair, err)
		}
	}
	// Only alice's wrong passwords counted (Alice/bob are other names).
	if u := f.user(t); u.FailedLogins != 2 {
		t.Errorf("FailedLogins = %d, want 2", u.FailedLogins)
	}
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if u := f.user(t); u.FailedLogins != 0 {
		t.Errorf("a successful login left FailedLogins = %d", u.FailedLogins)
	}
}

func TestLockoutAndUnlock(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{})
	for i := 1; i <= 4; i++ {
		if _, err := f.a.Login(ctx, "alice", "wrong password!!", testFrom); err != ErrInvalidCredentials {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); err != nil {
		t.Fatalf("4 failures locked the user: %v", err)
	}
	for i := 1; i <= 5; i++ {
		f.a.Login(ctx, "alice", "wrong password!!", testFrom)
	}
	_, err := f.a.Login(ctx, "alice", alicePW, testFrom)
	var le *LockedError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &le) || !le.Until.Equal(f.clk.t.Add(15*time.Minute)) ||
		!strings.Contains(err.Error(), "locked until "+le.Until.UTC().Format(time.RFC3339)) {
		t.Fatalf("after 5 failures the right password gave %v, want locked until +15 min", err)
	}
	f.clk.Advance(15*time.Minute - time.Second)
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second before the end of the lock: %v", err)
	}
	f.clk.Advance(time.Second)
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); err != nil {
		t.Fatalf("after the lock: %v", err)
	}

	// After a lock ends, the count starts again: 4 new failures do not lock.
	for i := 1; i <= 5; i++ {
		f.a.Login(ctx, "alice", "wrong password!!", testFrom)
	}
	f.clk.Advance(16 * time.Minute)
	for i := 1; i <= 4; i++ {
		if _, err := f.a.Login(ctx, "alice", "wrong password!!", testFrom); err != ErrInvalidCredentials {
			t.Fatalf("failure %d after a lock ended: %v", i, err)
		}
	}
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); err != nil {
		t.Fatalf("locked again after 4 failures following an ended lock: %v", err)
	}
}

func TestLockoutConfigurable(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{MaxFailures: 2, LockFor: time.Minute})
	f.a.Login(ctx, "alice", "wrong password!!", testFrom)
	f.a.Login(ctx, "alice", "wrong password!!", testFrom)
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); !errors.Is(err, ErrLocked) {
		t.Fatalf("not locked after 2: %v", err)
	}
	f.clk.Advance(time.Minute)
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); err != nil {
		t.Fatalf("still locked after LockFor: %v", err)
	}
}

// Unknown user and wrong password must not be told apart by timing either. Samples are
// interleaved so that load on the machine weighs on both alike, and a measurement that a
// burst of load spoiled is taken again, up to three times: a real difference (one path
// skipping the floor or the password hash) fails every one.
func TestLoginFailuresTakeTheSameTime(t *testing.T) {
	ctx := context.Background()
	floor := 200 * time.Millisecond
	f := newLoginFixture(t, LoginConfig{FailureFloor: floor, MaxFailures: 100})
	var apart time.Duration
	for range 3 {
		var unknown, wrong []time.Duration
		for range 5 {
			for _, name := range []string{"nobody", "alice"} {
				start := time.Now()
				if _, err := f.a.Login(ctx, name, "wrong password!!", testFrom); err != ErrInvalidCredentials {
					t.Fatalf("Login(%s) = %v", name, err)
				}
				d := time.Since(start)
				if d < floor {
					t.Fatalf("Login(%s) failed after %v, before the floor %v", name, d, floor)
				}
				if name == "nobody" {
					unknown = append(unknown, d)
				} else {
					wrong = append(wrong, d)
				}
			}
		}
		slices.Sort(unknown)
		slices.Sort(wrong)
		if apart = (unknown[2] - wrong[2]).Abs(); apart <= floor/2 {
			return
		}
		t.Logf("median unknown user %v vs wrong password %v: %v apart; measuring again", unknown[2], wrong[2], apart)
	}
	t.Errorf("unknown user and wrong password took %v apart (medians) in three measurements", apart)
}

func TestDisabledUser(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{})
	pair, err := f.a.Login(ctx, "alice", alicePW, testFrom)
	must(t, err)
	f.clk.Advance(time.Second)
	u := f.user(t)
	u.Disabled = true
	must(t, f.s.UpdateUser(ctx, u))
	must(t, f.c.Invalidate(ctx))
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); !errors.Is(err, ErrUserDisabled) {
		t.Errorf("disabled user, right password: %v", err)
	}
	if _, err := f.a.Login(ctx, "alice", "wrong password!!", testFrom); err != ErrInvalidCredentials {
		t.Errorf("disabled user, wrong password: %v (must not reveal the user is disabled)", err)
	}
	if _, err := f.a.VerifyAccess(pair.AccessToken); err == nil {
		t.Error("a disabled user's access token accepted")
	}
	if _, err := f.a.Refresh(ctx, pair.RefreshToken); err == nil {
		t.Error("a disabled user's refresh token accepted")
	}
}

// A change to the user (role, password, disabled) ends every token issued before it.
func TestChangesEndEarlierTokens(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{})
	before, err := f.a.Login(ctx, "alice", alicePW, testFrom)
	must(t, err)
	u := f.user(t)
	u.Role = "operator"
	must(t, f.s.UpdateUser(ctx, u)) // UpdatedAt: the real clock, an hour after the tokens
	must(t, f.c.Invalidate(ctx))
	if _, err := f.a.VerifyAccess(before.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("access token from before a role change: %v", err)
	}
	if _, err := f.a.Refresh(ctx, before.RefreshToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("refresh token from before a role change: %v", err)
	}
	f.clk.t = time.Now().Add(time.Second)
	after, err := f.a.Login(ctx, "alice", alicePW, testFrom)
	must(t, err)
	id, err := f.a.VerifyAccess(after.AccessToken)
	if err != nil || id.Role != "operator" {
		t.Errorf("new token: %+v, %v; want role operator", id, err)
	}
	next, err := f.a.Refresh(ctx, after.RefreshToken)
	must(t, err)
	if c, _ := f.a.tokens.Parse(next.AccessToken, TokenAccess); c.Role != "operator" {
		t.Errorf("refreshed token has role %q", c.Role)
	}

	must(t, f.s.DeleteUser(ctx, u.ID))
	must(t, f.c.Invalidate(ctx))
	if _, err := f.a.VerifyAccess(after.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("deleted user's access token: %v", err)
	}
	if _, err := f.a.Refresh(ctx, after.RefreshToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("deleted user's refresh token: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{})
	const next = "a brand new password"
	if err := f.a.ChangePassword(ctx, f.alice.ID, "wrong password!!", next, testFrom); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong current password: %v", err)
	}
	if u := f.user(t); u.FailedLogins != 1 {
		t.Errorf("a wrong current password was not counted: %d", u.FailedLogins)
	}
	for _, bad := range []string{"short", alicePW} {
		if err := f.a.ChangePassword(ctx, f.alice.ID, alicePW, bad, testFrom); err == nil {
			t.Errorf("new password %q accepted", bad)
		}
	}
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); err != nil {
		t.Fatalf("a refused change altered the password: %v", err)
	}
	before, _ := f.a.Login(ctx, "alice", alicePW, testFrom)
	must(t, f.a.ChangePassword(ctx, f.alice.ID, alicePW, next, testFrom))
	if _, err := f.a.VerifyAccess(before.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("token from before the password change still works: %v", err)
	}
	f.clk.t = time.Now().Add(time.Second)
	if _, err := f.a.Login(ctx, "alice", alicePW, testFrom); err != ErrInvalidCredentials {
		t.Errorf("old password after change: %v", err)
	}
	if _, err := f.a.Login(ctx, "alice", next, testFrom); err != nil {
		t.Errorf("new password refused: %v", err)
	}
	if err := f.a.ChangePassword(ctx, "usr_ghost", "", next, testFrom); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}

	// A user without a password sets the first one with current = "".
	nopw := &store.User{Name: "keyonly", Role: "owner"}
	must(t, f.s.CreateUser(ctx, nopw))
	if err := f.a.ChangePassword(ctx, nopw.ID, "guess", next, testFrom); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("no password yet, current %q: %v", "guess", err)
	}
	must(t, f.a.ChangePassword(ctx, nopw.ID, "", next, testFrom))
	if _, err := f.a.Login(ctx, "keyonly", next, testFrom); err != nil {
		t.Errorf("first password refused: %v", err)
	}
}

func TestChangePasswordLocked(t *testing.T) {
	ctx := context.Background()
	f := newLoginFixture(t, LoginConfig{})
	for range 5 {
		f.a.ChangePassword(ctx, f.alice.ID, "wrong password!!", "a brand new password", testFrom)
	}
	err := f.a.ChangePassword(ctx, f.alice.ID, alicePW, "a brand new password", testFrom)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("5 wrong current passwords did not lock: %v", err)
	}
	// An administrator's SetPassword lifts the lock.
	must(t, f.a.SetPassword(ctx, f.alice.ID, "set by the owner!"))
	f.clk.t = time.Now().Add(time.Second)
	if _, err := f.a.Login(ctx, "alice", "set by the owner!", testFrom); err != nil {
		t.Errorf("after SetPassword: %v", err)
	}
	if err := f.a.SetPassword(ctx, f.alice.ID, "short"); err == nil {
		t.Error("SetPassword accepted a short password")
	}
	if err := f.a.SetPassword(ctx, "usr_ghost", "long enough password"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPassword of an unknown user: %v", err)
	}
}
