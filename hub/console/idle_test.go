package console

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// fakeLogin stands for the REST API's login (exercised for real by session_test.go): it
// checks the password "pw" and mints numbered access tokens valid for ttl from the test's
// clock, refusing when refuse is set (the user changed or was disabled).
type fakeLogin struct {
	mu     sync.Mutex
	now    func() time.Time
	userID string
	ttl    time.Duration
	n      int
	mints  int
	refuse bool
}

func (f *fakeLogin) ConsoleSignIn(_ *http.Request, name, password string) (string, time.Time, error) {
	if password != "pw" {
		return "", time.Time{}, errors.New("wrong")
	}
	return f.userID, f.now(), nil
}

func (f *fakeLogin) ConsoleAccess(_ *http.Request, userID string, _ time.Time) (auth.TokenPair, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mints++
	if f.refuse || userID != f.userID {
		return auth.TokenPair{}, errors.New("refused")
	}
	f.n++
	return auth.TokenPair{AccessToken: "access-" + string(rune('0'+f.n)), ExpiresAt: f.now().Add(f.ttl)}, nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// rig is a console over a real SQLite store with one user, on a test clock.
type rig struct {
	st  store.Store
	clk *clock
	fl  *fakeLogin
	cfg Config
}

func newRig(t *testing.T, idle time.Duration) *rig {
	st := storetest.New(t)
	u := &store.User{Name: "u", Role: "viewer"}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	// The store dates rows by the real clock's day; the test clock starts now.
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	return &rig{st: st, clk: clk, fl: &fakeLogin{now: clk.now, ttl: 15 * time.Minute, userID: u.ID},
		cfg: Config{IdleTimeout: idle, MaxAge: 12 * time.Hour, Now: clk.now}}
}

// hub is another hub's console on the same store.
func (r *rig) hub() *Console {
	c := New(r.cfg, r.st, nil)
	c.SetLogin(r.fl)
	return c
}

func (r *rig) signIn(t *testing.T, c *Console) *http.Cookie {
	t.Helper()
	w := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/ui/session", strings.NewReader(`{"name":"u","password":"pw"}`))
	req.Header.Set("Content-Type", "application/json")
	c.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("sign-in: %d %s", w.Code, w.Body)
	}
	for _, ck := range w.Result().Cookies() {
		if ck.Name == CookieName {
			return ck
		}
	}
	t.Fatal("no cookie")
	return nil
}

func signedIn(t *testing.T, idle time.Duration) (*Console, *clock, *fakeLogin, *http.Cookie) {
	t.Helper()
	r := newRig(t, idle)
	c := r.hub()
	return c, r.clk, r.fl, r.signIn(t, c)
}

func get(ck *http.Cookie, background bool) *http.Request {
	r := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
	r.AddCookie(ck)
	if background {
		r.Header.Set(BackgroundHeader, "1")
	}
	return r
}

func TestIdleTimeout(t *testing.T) {
	c, clk, _, ck := signedIn(t, 10*time.Minute)
	// Activity within the timeout keeps the session.
	for range 3 {
		clk.add(9 * time.Minute)
		if _, has, err := c.AccessToken(get(ck, false)); !has || err != nil {
			t.Fatalf("active session refused: %v", err)
		}
	}
	// Polls do not count as activity: 9 + 9 min of polling alone ends it.
	clk.add(9 * time.Minute)
	if _, _, err := c.AccessToken(get(ck, true)); err != nil {
		t.Fatalf("poll within the timeout refused: %v", err)
	}
	clk.add(2 * time.Minute)
	if _, has, err := c.AccessToken(get(ck, true)); !has || !errors.Is(err, ErrNoSession) {
		t.Fatalf("11 min without activity: has=%v err=%v, want ErrNoSession", has, err)
	}
	if c.Sessions() != 0 {
		t.Errorf("%d sessions held after the timeout", c.Sessions())
	}
}

// The session ends at its maximum age, however active.
func TestMaxAge(t *testing.T) {
	c, clk, _, ck := signedIn(t, 30*time.Minute)
	for range 47 { // 47 × 15 min = 11h45
		clk.add(15 * time.Minute)
		if _, _, err := c.AccessToken(get(ck, false)); err != nil {
			t.Fatalf("active session refused before its maximum age: %v", err)
		}
	}
	clk.add(15 * time.Minute)
	if _, _, err := c.AccessToken(get(ck, false)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("12 h after sign-in: %v, want ErrNoSession", err)
	}
}

func TestAccessTokenRenewedBeforeExpiry(t *testing.T) {
	c, clk, fl, ck := signedIn(t, time.Hour)
	tok1, _, _ := c.AccessToken(get(ck, false))
	clk.add(10 * time.Minute)
	if tok, _, _ := c.AccessToken(get(ck, false)); tok != tok1 || fl.mints != 1 {
		t.Fatalf("renewed a fresh token: %s mints=%d", tok, fl.mints)
	}
	clk.add(4*time.Minute + 30*time.Second) // within refreshBefore of expiry
	tok2, _, err := c.AccessToken(get(ck, false))
	if err != nil || tok2 == tok1 || fl.mints != 2 {
		t.Fatalf("near expiry: tok %s (was %s) err %v mints %d", tok2, tok1, err, fl.mints)
	}
	// A refusal (password changed, user disabled) ends the session, in the store too.
	fl.refuse = true
	clk.add(15 * time.Minute)
	if _, _, err := c.AccessToken(get(ck, false)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("refused: %v, want ErrNoSession", err)
	}
	fl.refuse = false
	if _, _, err := c.AccessToken(get(ck, false)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after a refusal the session lives on: %v", err)
	}
}

// Only the cookie's SHA-256 is stored, never the cookie or its CSRF token; another hub on
// the same database (or this one after a restart, with an empty memory) accepts the
// session; a sign-out on one hub is refused on the other within Recheck.
func TestSessionSharedByHubs(t *testing.T) {
	r := newRig(t, 30*time.Minute)
	a, b := r.hub(), r.hub()
	ck := r.signIn(t, a)
	cs, err := r.st.GetConsoleSession(context.Background(), hashKey(ck.Value))
	if err != nil {
		t.Fatalf("session not stored under the cookie's hash: %v", err)
	}
	if strings.Contains(cs.ID, ck.Value) || cs.ID == csrfToken(ck.Value) || cs.UserID != r.fl.userID {
		t.Fatalf("stored row %+v", cs)
	}
	if _, has, err := b.AccessToken(get(ck, false)); !has || err != nil {
		t.Fatalf("hub B refused hub A's session: %v", err)
	}
	// A write with the CSRF token that hub A handed out passes on hub B; without, 403.
	w := httptest.NewRequest("POST", "/api/v1/agents", nil)
	w.AddCookie(ck)
	if _, _, err := b.AccessToken(w); !errors.Is(err, ErrCSRF) {
		t.Fatalf("write without CSRF on hub B: %v", err)
	}
	w.Header.Set(CSRFHeader, csrfToken(ck.Value))
	if _, _, err := b.AccessToken(w); err != nil {
		t.Fatalf("write with CSRF on hub B: %v", err)
	}

	// Sign-out on A.
	out := httptest.NewRequest("DELETE", "/ui/session", nil)
	out.AddCookie(ck)
	out.Header.Set(CSRFHeader, csrfToken(ck.Value))
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, out)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("sign-out: %d %s", rec.Code, rec.Body)
	}
	if _, _, err := a.AccessToken(get(ck, false)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("hub A after sign-out: %v", err)
	}
	r.clk.add(Recheck)
	if _, _, err := b.AccessToken(get(ck, false)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("hub B %s after the sign-out on A: %v, want ErrNoSession", Recheck, err)
	}
}

// Activity seen by one hub keeps the session alive on another: the idle timeout is the
// cluster's, within touchEvery.
func TestIdleAcrossHubs(t *testing.T) {
	r := newRig(t, 10*time.Minute)
	a, b := r.hub(), r.hub()
	ck := r.signIn(t, a)
	if _, _, err := b.AccessToken(get(ck, false)); err != nil {
		t.Fatal(err)
	}
	for range 4 { // the user works on A only, 32 minutes
		r.clk.add(8 * time.Minute)
		if _, _, err := a.AccessToken(get(ck, false)); err != nil {
			t.Fatalf("hub A: %v", err)
		}
	}
	if _, _, err := b.AccessToken(get(ck, false)); err != nil {
		t.Fatalf("hub B called the session idle while the user worked on A: %v", err)
	}
}

func TestNoCookieIsNotASession(t *testing.T) {
	c, _, _, _ := signedIn(t, time.Hour)
	if _, has, err := c.AccessToken(httptest.NewRequest("POST", "/api/v1/agents", nil)); has || err != nil {
		t.Fatalf("no cookie: has=%v err=%v", has, err)
	}
}
