package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

const oauthPassword = "a long enough password 42"

// passwordUser creates a user with a password and the role.
func passwordUser(t *testing.T, h *hubtest.Hub, name, role string) *store.User {
	t.Helper()
	ctx := context.Background()
	hashed, err := auth.HashPassword(oauthPassword)
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Name: name, Role: role, PasswordHash: hashed}
	if err := h.Server.Store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := h.Server.Keys.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return u
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// oauthToken runs the OAuth flow against the hub as a client would, with a browser's
// cookie jar for the sign-in page: register, authorize (sign in as user, allow), exchange.
func oauthToken(t *testing.T, h *hubtest.Hub, user string) (client, access string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	read := func(resp *http.Response, err error) (*http.Response, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	const redirect = "http://127.0.0.1:1/cb"
	resp, body := read(c.Post(h.URL+"/oauth/register", "application/json",
		strings.NewReader(`{"client_name":"go test","redirect_uris":["`+redirect+`"]}`)))
	var reg struct {
		ClientID string `json:"client_id"`
	}
	if resp.StatusCode != 201 || json.Unmarshal([]byte(body), &reg) != nil {
		t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {reg.ClientID}, "redirect_uri": {redirect},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"resource": {h.MCPURL()}, "state": {"s"}}
	resp, page := read(c.Get(h.URL + "/oauth/authorize?" + q.Encode()))
	if resp.StatusCode != 200 {
		t.Fatalf("authorize: %d %s", resp.StatusCode, page)
	}
	f := url.Values{"username": {user}, "password": {oauthPassword}, "action": {"allow"}}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	resp, body = read(c.PostForm(h.URL+"/oauth/authorize", f))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("sign-in: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = read(c.PostForm(h.URL+"/oauth/token", url.Values{"grant_type": {"authorization_code"},
		"client_id": {reg.ClientID}, "redirect_uri": {redirect}, "code": {loc.Query().Get("code")}, "code_verifier": {verifier}}))
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &tr) != nil || tr.AccessToken == "" {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	return reg.ClientID, tr.AccessToken
}

// TestOAuthTokenAtMCP: a 401 names the protected-resource metadata (with error= only when a
// credential was sent); an OAuth access token calls tools as its user, through RBAC (a role
// denying the tool is refused) and into the audit trail with the client as the application;
// it opens nothing on the REST API; API keys keep working beside it.
func TestOAuthTokenAtMCP(t *testing.T) {
	var ran atomic.Int64
	h := startCountingHub(t, &ran, nil)
	c := &http.Client{}

	resp, _ := post(t, c, h, "", "", initBody)
	req, _ := http.NewRequest(http.MethodPost, h.MCPURL(), strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	bare, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	bare.Body.Close()
	wa := bare.Header.Get("WWW-Authenticate")
	if bare.StatusCode != 401 || !strings.Contains(wa, `resource_metadata="`+h.URL+`/.well-known/oauth-protected-resource/mcp"`) || strings.Contains(wa, "error=") {
		t.Errorf("401 without a credential: %d %q", bare.StatusCode, wa)
	}
	if wa := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || !strings.Contains(wa, `error="invalid_token"`) || !strings.Contains(wa, "resource_metadata=") {
		t.Errorf("401 with a bad credential: %d %q", resp.StatusCode, wa)
	}
	if code, body := get(t, h.URL+"/.well-known/oauth-protected-resource/mcp"); code != 200 || !strings.Contains(body, `"resource":"`+h.MCPURL()+`"`) {
		t.Errorf("protected-resource metadata: %d %s", code, body)
	}

	bob := passwordUser(t, h, "bob", "viewer")
	client, tok := oauthToken(t, h, "bob")
	sid := initialize(t, c, h, tok)
	out := rpc(t, c, h, tok, sid, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"disk__count","arguments":{}}}`)
	if !strings.Contains(out, `"text":"1"`) || ran.Load() != 1 {
		t.Fatalf("tools/call with an OAuth token: %s (ran %d)", out, ran.Load())
	}
	ctx := context.Background()
	if err := h.Server.Audit.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := h.Server.Store.QueryAudit(ctx, store.AuditQuery{Tool: "disk__count", Kind: store.AuditCall})
	if err != nil || len(evs) != 1 {
		t.Fatalf("audit: %v %+v", err, evs)
	}
	if e := evs[0]; e.UserID != bob.ID || e.Caller != "bob" || e.Application != client || !strings.HasPrefix(e.KeyID, "oauth:") || e.Role != "viewer" {
		t.Errorf("audit row of an OAuth call: user %q caller %q application %q key %q role %q", e.UserID, e.Caller, e.Application, e.KeyID, e.Role)
	}

	logins, _, err := h.Server.Store.QueryAudit(ctx, store.AuditQuery{Kind: store.AuditLogin, Application: client})
	if err != nil || len(logins) != 1 || logins[0].Action != "oauth.authorize" || logins[0].UserID != bob.ID || logins[0].Status != "ok" {
		t.Errorf("audit of the sign-in that allowed the client: %v %+v", err, logins)
	}

	// RBAC: a role that denies the tool refuses the same call made with a token.
	if err := h.Server.Store.CreateRole(ctx, &store.Role{Name: "nocount", Permissions: []string{"tools.call", "tools.read"}, ToolDeny: []string{"disk__*"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Server.RBAC.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	passwordUser(t, h, "carol", "nocount")
	_, tok2 := oauthToken(t, h, "carol")
	sid2 := initialize(t, c, h, tok2)
	out = rpc(t, c, h, tok2, sid2, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"disk__count","arguments":{}}}`)
	if !strings.Contains(out, `"error"`) || ran.Load() != 1 {
		t.Errorf("a role denying the tool, with a token: %s (ran %d)", out, ran.Load())
	}

	// The REST API is another resource: the token opens nothing there.
	areq, _ := http.NewRequest(http.MethodGet, h.URL+"/api/v1/tools", nil)
	areq.Header.Set("Authorization", "Bearer "+tok)
	aresp, err := c.Do(areq)
	if err != nil {
		t.Fatal(err)
	}
	aresp.Body.Close()
	if aresp.StatusCode != 401 {
		t.Errorf("OAuth token on /api/v1: %d, want 401", aresp.StatusCode)
	}
	// The owner's API key still works at /mcp.
	sid3 := initialize(t, c, h, h.OwnerKey)
	if out := rpc(t, c, h, h.OwnerKey, sid3, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"disk__count","arguments":{}}}`); !strings.Contains(out, `"text":"2"`) {
		t.Errorf("API key beside OAuth: %s", out)
	}
}
