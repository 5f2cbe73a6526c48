package backend

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth/oauthtest"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// clock is a settable clock for token expiry.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.at = t
	c.mu.Unlock()
}

type oauthRig struct {
	as     *oauthtest.Server
	store  *oauth.FileStore
	tokens string // the token file
	clock  *clock
	r      *running
}

// startOAuth runs a backend of a protected server with a sealed file store, and waits until
// it needs a login.
func startOAuth(t *testing.T) *oauthRig {
	t.Helper()
	dir := t.TempDir()
	key, err := oauth.LoadKeyFile(filepath.Join(dir, "oauth.key"))
	if err != nil {
		t.Fatal(err)
	}
	rig := &oauthRig{as: oauthtest.Start(t), tokens: filepath.Join(dir, "tokens.json"), clock: &clock{}}
	rig.store = oauth.NewFileStore(rig.tokens, key)
	rig.r = startNoWait(t, Config{Name: "prot", Transport: TransportHTTP, URL: rig.as.MCPURL}, Options{
		OAuth: rig.store, LoginHint: "mcp-gateway-agent backends login %s", LoginPoll: time.Hour, Now: rig.clock.now,
	})
	rig.waitState(t, protocol.StateNeedsLogin)
	return rig
}

func (rig *oauthRig) waitState(t *testing.T, state string) {
	t.Helper()
	waitfor.Until(t, 60*time.Second, "state "+state, func() bool { return rig.r.Snapshot().State == state })
}

// login runs the whole login (the test's authorization server approves at once, so an HTTP
// client following its redirect stands in for the browser), stores the result and wakes
// the backend.
func (rig *oauthRig) login(t *testing.T) *oauth.Credentials {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := rig.r.Config()
	creds, err := oauth.Login(ctx, cfg.OAuthFlow(), oauth.FollowRedirects(http.DefaultClient))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := rig.store.Save(ctx, cfg.Name, creds); err != nil {
		t.Fatal(err)
	}
	rig.r.Wake()
	rig.waitState(t, protocol.StateReady)
	return creds
}

func (rig *oauthRig) call(t *testing.T) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := rig.r.Call(ctx, &Call{Request: toolCall(t, 1, "whoami", map[string]any{}, nil)})
	if err == nil && resp.Error != nil {
		err = resp.Error
	}
	return err
}

// TestOAuthNeedsLoginThenLogin: a server that answers 401 with a Bearer challenge puts the
// backend in needs_login (no restart loop), naming the command; a login through the loopback
// callback connects it; the token file holds no token in clear.
func TestOAuthNeedsLoginThenLogin(t *testing.T) {
	rig := startOAuth(t)
	snap := rig.r.Snapshot()
	if !strings.Contains(snap.Error, "requires OAuth authorization") || !strings.Contains(snap.Error, "mcp-gateway-agent backends login prot") {
		t.Errorf("needs_login error = %q; want the reason and the command", snap.Error)
	}
	if err := rig.call(t); !errors.Is(err, ErrNotReady) {
		t.Errorf("call before login: %v; want ErrNotReady", err)
	}
	creds := rig.login(t)
	if err := rig.call(t); err != nil {
		t.Fatalf("call after login: %v", err)
	}
	if rig.as.LastToken() != creds.AccessToken {
		t.Errorf("server saw token %q, want the login's", rig.as.LastToken())
	}
	_, resources, methods := rig.as.Stats()
	for _, r := range resources {
		if r != rig.as.MCPURL {
			t.Errorf("token request with resource %q, want %q", r, rig.as.MCPURL)
		}
	}
	if len(methods) != 1 || methods[0] != "S256" {
		t.Errorf("authorization requests' code_challenge_method = %q, want one S256", methods)
	}
	raw, err := os.ReadFile(rig.tokens)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{creds.AccessToken, creds.RefreshToken, creds.ClientID} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("token file holds %q in clear:\n%s", secret, raw)
		}
	}
	if st, err := os.Stat(rig.tokens); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode = %v (%v), want 0600", st.Mode().Perm(), err)
	}
}

// TestOAuthRefreshBeforeExpiry: a call made when the access token is close to its expiry
// refreshes it first (with the resource parameter), sends the new one, and stores it; the
// old refresh token is spent (the server rotates them).
func TestOAuthRefreshBeforeExpiry(t *testing.T) {
	rig := startOAuth(t)
	creds := rig.login(t)
	if err := rig.call(t); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := rig.as.Stats(); n != 0 {
		t.Fatalf("%d refreshes before the token was due", n)
	}
	rig.clock.set(creds.Expiry.Add(-30 * time.Second)) // within the minute before expiry
	if err := rig.call(t); err != nil {
		t.Fatalf("call with a token due for refresh: %v", err)
	}
	n, resources, _ := rig.as.Stats()
	if n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
	}
	if last := resources[len(resources)-1]; last != rig.as.MCPURL {
		t.Errorf("refresh sent resource %q, want %q", last, rig.as.MCPURL)
	}
	stored, err := rig.store.Load(context.Background(), "prot")
	if err != nil || stored == nil {
		t.Fatalf("load: %v %v", stored, err)
	}
	if stored.AccessToken == creds.AccessToken || stored.RefreshToken == creds.RefreshToken {
		t.Error("the refreshed tokens were not stored")
	}
	if rig.as.LastToken() != stored.AccessToken {
		t.Error("the call did not carry the refreshed token")
	}
	if rig.r.Snapshot().State != protocol.StateReady {
		t.Errorf("state %s after a refresh", rig.r.Snapshot().State)
	}
}

// TestOAuthRefreshRefusedNeedsLogin: when the authorization server refuses the refresh
// token, the backend goes back to needs_login (and not into restarts), and a new login
// brings it back.
func TestOAuthRefreshRefusedNeedsLogin(t *testing.T) {
	rig := startOAuth(t)
	creds := rig.login(t)
	rig.as.RevokeAll()
	rig.clock.set(creds.Expiry.Add(-time.Second))
	err := rig.call(t)
	if err == nil || !strings.Contains(err.Error(), "needs an OAuth login") {
		t.Fatalf("call with a refused refresh token: %v; want needs an OAuth login", err)
	}
	rig.waitState(t, protocol.StateNeedsLogin)
	if snap := rig.r.Snapshot(); !strings.Contains(snap.Error, "refresh token was refused") {
		t.Errorf("needs_login error = %q", snap.Error)
	}
	rig.clock.set(time.Time{})
	rig.login(t)
	if err := rig.call(t); err != nil {
		t.Fatalf("call after the new login: %v", err)
	}
}

// TestOAuthRevokedTokenNeedsLogin: a token the server stops accepting (401 mid-session) is
// refreshed once; when the refresh is refused too, the backend needs a login.
func TestOAuthRevokedTokenNeedsLogin(t *testing.T) {
	rig := startOAuth(t)
	rig.login(t)
	rig.as.RevokeAll()
	if err := rig.call(t); err == nil {
		t.Fatal("call with a revoked token succeeded")
	}
	rig.waitState(t, protocol.StateNeedsLogin)
}

// TestOAuthNotWithoutStore: without an OAuth store (or with an Authorization header of the
// operator's own) a 401 stays an ordinary failure, retried with backoff.
func TestOAuthNotWithoutStore(t *testing.T) {
	as := oauthtest.Start(t)
	r := startNoWait(t, Config{Name: "plain", Transport: TransportHTTP, URL: as.MCPURL,
		Headers: map[string]string{"Authorization": "Bearer wrong"}}, Options{OAuth: &oauth.MemoryStore{}})
	waitfor.Until(t, 60*time.Second, "state failed", func() bool { return r.Snapshot().State == protocol.StateFailed })
}

func TestOAuthConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Name: "a", Transport: TransportStdio, Command: "x", OAuthClientID: "id"}, "need transport http or sse"},
		{Config{Name: "a", Transport: TransportHTTP, URL: "http://h/mcp", OAuthClientSecret: "s"}, "needs oauth_client_id"},
		{Config{Name: "a", Transport: TransportHTTP, URL: "http://h/mcp", OAuthClientID: "id",
			Headers: map[string]string{"authorization": "Bearer x"}}, "exclude each other"},
		{Config{Name: "a", Transport: TransportHTTP, URL: "http://h/mcp", OAuthClientMetadataURL: "http://h/c.json"}, "https URL"},
		{Config{Name: "a", Transport: TransportHTTP, URL: "http://h/mcp", OAuthClientMetadataURL: "https://h/"}, "https URL"},
		{Config{Name: "a", Transport: TransportHTTP, URL: "http://h/mcp", OAuthClientID: "id", OAuthClientSecret: "s",
			OAuthClientMetadataURL: "https://h/client.json", OAuthScopes: []string{"mcp"}}, ""},
	} {
		err := tc.cfg.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: Validate() = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
