package console

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
)

// fakeLogin hands out numbered token pairs valid for ttl from the test's clock; the REST
// API's real login is exercised by session_test.go.
type fakeLogin struct {
	mu        sync.Mutex
	now       func() time.Time
	ttl       time.Duration
	n         int
	refreshes int
	refuse    bool
}

func (f *fakeLogin) pair() auth.TokenPair {
	f.n++
	return auth.TokenPair{AccessToken: "access-" + string(rune('0'+f.n)), RefreshToken: "refresh-" + string(rune('0'+f.n)),
		ExpiresAt: f.now().Add(f.ttl), RefreshExpiresAt: f.now().Add(7 * 24 * time.Hour)}
}

func (f *fakeLogin) PasswordLogin(_ *http.Request, name, password string) (auth.TokenPair, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if password != "pw" {
		return auth.TokenPair{}, errors.New("wrong")
	}
	return f.pair(), nil
}

func (f *fakeLogin) RefreshTokens(_ *http.Request, tok string) (auth.TokenPair, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshes++
	if f.refuse {
		return auth.TokenPair{}, errors.New("refused")
	}
	return f.pair(), nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func signedIn(t *testing.T, idle time.Duration) (*Console, *clock, *fakeLogin, *http.Cookie) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	fl := &fakeLogin{now: clk.now, ttl: 15 * time.Minute}
	c := New(Config{IdleTimeout: idle, Now: clk.now}, nil)
	c.SetLogin(fl)
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/ui/session", strings.NewReader(`{"name":"u","password":"pw"}`))
	r.Header.Set("Content-Type", "application/json")
	c.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("sign-in: %d %s", w.Code, w.Body)
	}
	for _, ck := range w.Result().Cookies() {
		if ck.Name == CookieName {
			return c, clk, fl, ck
		}
	}
	t.Fatal("no cookie")
	return nil, nil, nil, nil
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

func TestRefreshBeforeExpiry(t *testing.T) {
	c, clk, fl, ck := signedIn(t, time.Hour)
	tok1, _, _ := c.AccessToken(get(ck, false))
	clk.add(10 * time.Minute)
	if tok, _, _ := c.AccessToken(get(ck, false)); tok != tok1 || fl.refreshes != 0 {
		t.Fatalf("refreshed a fresh token: %s refreshes=%d", tok, fl.refreshes)
	}
	clk.add(4*time.Minute + 30*time.Second) // within refreshBefore of expiry
	tok2, _, err := c.AccessToken(get(ck, false))
	if err != nil || tok2 == tok1 || fl.refreshes != 1 {
		t.Fatalf("near expiry: tok %s (was %s) err %v refreshes %d", tok2, tok1, err, fl.refreshes)
	}
	// A refused refresh (password changed, user disabled) ends the session.
	fl.refuse = true
	clk.add(15 * time.Minute)
	if _, _, err := c.AccessToken(get(ck, false)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("refused refresh: %v, want ErrNoSession", err)
	}
	fl.refuse = false
	if _, _, err := c.AccessToken(get(ck, false)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after a refused refresh the session lives on: %v", err)
	}
}

func TestNoCookieIsNotASession(t *testing.T) {
	c, _, _, _ := signedIn(t, time.Hour)
	if _, has, err := c.AccessToken(httptest.NewRequest("POST", "/api/v1/agents", nil)); has || err != nil {
		t.Fatalf("no cookie: has=%v err=%v", has, err)
	}
}
