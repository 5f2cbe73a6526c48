package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/oauth"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

type oauthConfig = oauth.Config

const password = "correct horse battery staple"

// clock is a settable time for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// as is an authorization server on a real store, behind a real HTTP server on 127.0.0.1,
// with a user alice who has a password, and a protected resource at /mcp that answers
// whom a token speaks for.
type as struct {
	t      *testing.T
	srv    *httptest.Server
	oauth  *oauth.Server
	store  store.Store
	keys   *auth.Cache
	clock  *clock
	alice  *store.User
	client *http.Client // with a cookie jar, following no redirect
	events *events
}

// events keeps what the server recorded for the audit trail.
type events struct {
	mu  sync.Mutex
	evs []store.AuditEvent
}

func (e *events) Record(ev *store.AuditEvent) error {
	e.mu.Lock()
	e.evs = append(e.evs, *ev)
	e.mu.Unlock()
	return nil
}

// actions lists the recorded actions with their status, "action/status".
func (e *events) actions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.evs {
		out = append(out, ev.Action+"/"+ev.Status)
	}
	return out
}

func newAS(t *testing.T, mod func(*oauth.Config)) *as {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	hashed, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	alice := &store.User{Name: "alice", Role: "viewer", PasswordHash: hashed}
	if err := st.CreateUser(ctx, alice); err != nil {
		t.Fatal(err)
	}
	keys := auth.NewCache(st, nil)
	if err := keys.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	a := &as{t: t, store: st, keys: keys, clock: clk, alice: alice, events: &events{}}
	cfg := oauth.Config{
		Store: st, Passwords: auth.NewAuthenticator(st, keys, tokens, auth.LoginConfig{FailureFloor: -1}), Users: keys,
		BaseURL:       func(r *http.Request) (string, error) { return "http://" + r.Host, nil },
		ClientAddress: func(r *http.Request) string { return auth.ClientAddress(r.RemoteAddr) },
		CodeTTL:       time.Minute, AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour,
		Registration: true, Now: clk.Now, Audit: a.events,
	}
	if mod != nil {
		mod(&cfg)
	}
	a.oauth = oauth.New(cfg)
	mux := http.NewServeMux()
	a.oauth.Mount(mux, func(h http.Handler) http.Handler { return h })
	mux.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := auth.BearerToken(r)
		id, err := a.oauth.Verify(r, tok)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(id)
	})
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	jar, _ := cookiejar.New(nil)
	a.client = &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return a
}

// register registers a public client by RFC 7591 and returns its client_id.
func (a *as) register(redirects ...string) string {
	a.t.Helper()
	b, _ := json.Marshal(map[string]any{"client_name": "Test Client", "redirect_uris": redirects})
	resp, body := a.post("/oauth/register", "application/json", string(b))
	if resp.StatusCode != http.StatusCreated {
		a.t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	var out struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || out.ClientID == "" {
		a.t.Fatalf("register: %s", body)
	}
	return out.ClientID
}

func (a *as) post(path, ctype, body string) (*http.Response, string) {
	a.t.Helper()
	resp, err := a.client.Post(a.srv.URL+path, ctype, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (a *as) get(u string) (*http.Response, string) {
	a.t.Helper()
	resp, err := a.client.Get(u)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// pkce returns a verifier and its S256 challenge.
func pkce(seed string) (string, string) {
	v := strings.Repeat(seed, 64)[:64]
	sum := sha256.Sum256([]byte(v))
	return v, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authURL is an authorization request's URL.
func (a *as) authURL(client, redirect, challenge string, extra url.Values) string {
	q := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"st-123"},
		"resource": {a.srv.URL + "/mcp"}}
	for k, v := range extra {
		if len(v) == 0 || v[0] == "" {
			q.Del(k)
			continue
		}
		q[k] = v
	}
	return a.srv.URL + "/oauth/authorize?" + q.Encode()
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// form reads the sign-in page's hidden fields.
func form(t *testing.T, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	if v.Get("csrf") == "" {
		t.Fatalf("the page has no CSRF field:\n%s", page)
	}
	return v
}

// consent opens the page for the request and submits it with the user's password and
// action; it returns the answer to the POST.
func (a *as) consent(authURL, user, pw, action string) (*http.Response, string) {
	a.t.Helper()
	resp, page := a.get(authURL)
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("authorization page: %d\n%s", resp.StatusCode, page)
	}
	v := form(a.t, page)
	v.Set("username", user)
	v.Set("password", pw)
	v.Set("action", action)
	return a.post("/oauth/authorize", "application/x-www-form-urlencoded", v.Encode())
}

// code runs the authorization and returns the code from the redirect.
func (a *as) code(client, redirect, challenge string) string {
	a.t.Helper()
	resp, body := a.consent(a.authURL(client, redirect, challenge, nil), "alice", password, "allow")
	if resp.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("sign-in: %d\n%s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		a.t.Fatal(err)
	}
	q := loc.Query()
	if q.Get("code") == "" || q.Get("state") != "st-123" || q.Get("iss") != a.srv.URL {
		a.t.Fatalf("redirect %s: want code, state st-123 and iss %s", loc, a.srv.URL)
	}
	return q.Get("code")
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

// token posts to the token endpoint.
func (a *as) token(v url.Values) (int, tokenResponse) {
	a.t.Helper()
	resp, body := a.post("/oauth/token", "application/x-www-form-urlencoded", v.Encode())
	var tr tokenResponse
	if err := json.Unmarshal([]byte(body), &tr); err != nil {
		a.t.Fatalf("token endpoint: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		a.t.Errorf("token endpoint: Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
	}
	return resp.StatusCode, tr
}

func exchange(client, redirect, code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "client_id": {client}, "redirect_uri": {redirect},
		"code": {code}, "code_verifier": {verifier}}
}

func refresh(client, rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "client_id": {client}, "refresh_token": {rt}}
}

// tokens runs the whole flow and returns the token pair.
func (a *as) tokens(client, redirect string) tokenResponse {
	a.t.Helper()
	v, ch := pkce("v")
	code := a.code(client, redirect, ch)
	status, tr := a.token(exchange(client, redirect, code, v))
	if status != http.StatusOK || tr.AccessToken == "" || tr.RefreshToken == "" {
		a.t.Fatalf("exchange: %d %+v", status, tr)
	}
	return tr
}

// call uses an access token at /mcp; it returns the status and the identity (on 200).
func (a *as) call(tok string) (int, auth.Identity) {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var id auth.Identity
	if resp.StatusCode == http.StatusOK {
		_ = json.NewDecoder(resp.Body).Decode(&id)
	}
	return resp.StatusCode, id
}
