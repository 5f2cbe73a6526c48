package oauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

const redirect = "http://127.0.0.1:7777/callback"

// TestMetadata: the protected-resource metadata (both paths) and the authorization-server
// metadata name each other and every endpoint, with S256 only, CIMD and the iss parameter.
func TestMetadata(t *testing.T) {
	a := newAS(t, nil)
	for _, p := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
		resp, body := a.get(a.srv.URL + p)
		var m struct {
			Resource string   `json:"resource"`
			AS       []string `json:"authorization_servers"`
			Methods  []string `json:"bearer_methods_supported"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &m) != nil {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
		if m.Resource != a.srv.URL+"/mcp" || len(m.AS) != 1 || m.AS[0] != a.srv.URL || len(m.Methods) != 1 || m.Methods[0] != "header" {
			t.Errorf("%s: %s", p, body)
		}
	}
	resp, body := a.get(a.srv.URL + "/.well-known/oauth-authorization-server")
	var m map[string]any
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &m) != nil {
		t.Fatalf("AS metadata: %d %s", resp.StatusCode, body)
	}
	want := map[string]any{
		"issuer": a.srv.URL, "authorization_endpoint": a.srv.URL + "/oauth/authorize",
		"token_endpoint": a.srv.URL + "/oauth/token", "registration_endpoint": a.srv.URL + "/oauth/register",
		"revocation_endpoint": a.srv.URL + "/oauth/revoke", "client_id_metadata_document_supported": true,
		"authorization_response_iss_parameter_supported": true,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("AS metadata %s = %v, want %v", k, m[k], v)
		}
	}
	if got, _ := json.Marshal(m["code_challenge_methods_supported"]); string(got) != `["S256"]` {
		t.Errorf("code_challenge_methods_supported %s, want only S256", got)
	}

	b := newAS(t, func(c *oauthConfig) { c.Registration = false })
	_, body = b.get(b.srv.URL + "/.well-known/oauth-authorization-server")
	if strings.Contains(body, "registration_endpoint") {
		t.Errorf("registration off, yet the metadata names it: %s", body)
	}
	if resp, _ := b.post("/oauth/register", "application/json", `{"redirect_uris":["`+redirect+`"]}`); resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
		t.Errorf("registration off: POST /oauth/register answered %d", resp.StatusCode)
	}
}

// TestFlow: register, sign in and allow, exchange the code; the access token speaks for the
// user with the client as the application and the grant as the key id; refresh rotates
// (the old refresh token is refused, and its reuse revokes the grant); revocation works.
func TestFlow(t *testing.T) {
	a := newAS(t, nil)
	client := a.register(redirect)
	tr := a.tokens(client, redirect)
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 || !strings.HasPrefix(tr.AccessToken, "mcpgwat_") || !strings.HasPrefix(tr.RefreshToken, "mcpgwrt_") {
		t.Fatalf("token response %+v", tr)
	}
	status, id := a.call(tr.AccessToken)
	if status != 200 || id.UserID != a.alice.ID || id.Name != "alice" || id.Role != "viewer" || id.Application != client ||
		!strings.HasPrefix(id.KeyID, "oauth:") || id.Scope != store.ScopeMCP || id.Kind != store.KindUser {
		t.Fatalf("identity of the token: %d %+v", status, id)
	}

	// Refresh: a new pair; the old refresh token is good no more.
	status, tr2 := a.token(refresh(client, tr.RefreshToken))
	if status != 200 || tr2.AccessToken == tr.AccessToken || tr2.RefreshToken == tr.RefreshToken {
		t.Fatalf("refresh: %d %+v", status, tr2)
	}
	if s, id2 := a.call(tr2.AccessToken); s != 200 || id2.KeyID != id.KeyID {
		t.Fatalf("refreshed token: %d %+v (same grant, same key id %s)", s, id2, id.KeyID)
	}
	status, bad := a.token(refresh(client, tr.RefreshToken))
	if status != 400 || bad.Error != "invalid_grant" {
		t.Fatalf("old refresh token reused: %d %+v, want 400 invalid_grant", status, bad)
	}
	// The reuse revoked the whole grant: the newest tokens are refused too.
	if s, _ := a.call(tr2.AccessToken); s != http.StatusUnauthorized {
		t.Errorf("access token of a grant revoked for refresh reuse: %d, want 401", s)
	}
	if s, r := a.token(refresh(client, tr2.RefreshToken)); s != 400 || r.Error != "invalid_grant" {
		t.Errorf("refresh token of a revoked grant: %d %+v", s, r)
	}

	// Revocation (RFC 7009) of a fresh grant: its access token is refused.
	tr3 := a.tokens(client, redirect)
	if s, _ := a.call(tr3.AccessToken); s != 200 {
		t.Fatalf("fresh token: %d", s)
	}
	resp, _ := a.post("/oauth/revoke", "application/x-www-form-urlencoded", url.Values{"token": {tr3.RefreshToken}, "client_id": {client}}.Encode())
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if s, _ := a.call(tr3.AccessToken); s != http.StatusUnauthorized {
		t.Errorf("access token after revoking its grant: %d, want 401", s)
	}
	if s, r := a.token(refresh(client, tr3.RefreshToken)); s != 400 || r.Error != "invalid_grant" {
		t.Errorf("revoked refresh token: %d %+v", s, r)
	}
	if got, want := strings.Join(a.events.actions(), " "), "oauth.authorize/ok oauth.reuse/denied oauth.authorize/ok oauth.revoke/ok"; got != want {
		t.Errorf("audit events %q, want %q", got, want)
	}
	// Unknown tokens are answered alike (RFC 7009 2.2); another client cannot revoke.
	if resp, _ := a.post("/oauth/revoke", "application/x-www-form-urlencoded", "token=nope"); resp.StatusCode != 200 {
		t.Errorf("revoke of an unknown token: %d, want 200", resp.StatusCode)
	}
	tr4 := a.tokens(client, redirect)
	a.post("/oauth/revoke", "application/x-www-form-urlencoded", url.Values{"token": {tr4.AccessToken}, "client_id": {"someone-else"}}.Encode())
	if s, _ := a.call(tr4.AccessToken); s != 200 {
		t.Errorf("another client revoked this client's token: %d", s)
	}
}

// TestCodeRefusals: each wrong exchange is refused with the right error, and a reused code
// revokes what it gave.
func TestCodeRefusals(t *testing.T) {
	a := newAS(t, nil)
	client := a.register(redirect, "http://127.0.0.1:7777/other")
	other := a.register(redirect)
	v, ch := pkce("v")
	cases := []struct {
		name  string
		mod   func(url.Values)
		error string
	}{
		{"wrong verifier", func(q url.Values) { q.Set("code_verifier", strings.Repeat("w", 64)) }, "invalid_grant"},
		{"short verifier", func(q url.Values) { q.Set("code_verifier", "abc") }, "invalid_grant"},
		{"wrong redirect_uri", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:7777/other") }, "invalid_grant"},
		{"no redirect_uri", func(q url.Values) { q.Del("redirect_uri") }, "invalid_grant"},
		{"another client", func(q url.Values) { q.Set("client_id", other) }, "invalid_grant"},
		{"wrong resource", func(q url.Values) { q.Set("resource", "https://elsewhere.example/mcp") }, "invalid_target"},
		{"unknown code", func(q url.Values) { q.Set("code", "mcpgwac_nothing") }, "invalid_grant"},
		{"no verifier", func(q url.Values) { q.Del("code_verifier") }, "invalid_request"},
		{"grant type", func(q url.Values) { q.Set("grant_type", "password") }, "unsupported_grant_type"},
		{"twice", func(q url.Values) { q.Add("code", "x") }, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code := a.code(client, redirect, ch)
			q := exchange(client, redirect, code, v)
			c.mod(q)
			if s, r := a.token(q); s/100 != 4 || r.Error != c.error {
				t.Fatalf("%d %+v, want %s", s, r, c.error)
			}
			// The right exchange still works after a refused one (except that the code
			// was not burnt by an attacker without the verifier).
			if s, r := a.token(exchange(client, redirect, code, v)); s != 200 {
				t.Fatalf("the right exchange after a refused one: %d %+v", s, r)
			}
		})
	}
	t.Run("reused code", func(t *testing.T) {
		code := a.code(client, redirect, ch)
		s, first := a.token(exchange(client, redirect, code, v))
		if s != 200 {
			t.Fatalf("first exchange: %d %+v", s, first)
		}
		if s, r := a.token(exchange(client, redirect, code, v)); s != 400 || r.Error != "invalid_grant" {
			t.Fatalf("second exchange: %d %+v", s, r)
		}
		if s, _ := a.call(first.AccessToken); s != http.StatusUnauthorized {
			t.Errorf("token of a replayed code: %d, want 401 (revoked)", s)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		code := a.code(client, redirect, ch)
		a.clock.Add(61 * time.Second)
		if s, r := a.token(exchange(client, redirect, code, v)); s != 400 || r.Error != "invalid_grant" || !strings.Contains(r.Description, "expired") {
			t.Fatalf("expired code: %d %+v", s, r)
		}
	})
}

// TestTokenRefusals: an access token is refused when expired, for another resource, of a
// disabled user, or not an access token; an expired refresh token is refused.
func TestTokenRefusals(t *testing.T) {
	a := newAS(t, nil)
	client := a.register(redirect)
	tr := a.tokens(client, redirect)
	if s, _ := a.call(tr.RefreshToken); s != http.StatusUnauthorized {
		t.Errorf("a refresh token used as an access token: %d", s)
	}
	if s, _ := a.call("mcpgwat_" + strings.Repeat("A", 43)); s != http.StatusUnauthorized {
		t.Errorf("an unknown access token: %d", s)
	}

	// Another resource: the same token presented to a server whose resource differs.
	req := httptestRequest(t, "https://other.example/mcp", tr.AccessToken)
	if _, err := a.oauth.Verify(req, tr.AccessToken); err == nil || !strings.Contains(err.Error(), "another resource") {
		t.Errorf("token on another resource: %v, want refused", err)
	}
	if _, err := a.oauth.Verify(httptestRequest(t, a.srv.URL+"/mcp", tr.AccessToken), tr.AccessToken); err != nil {
		t.Errorf("token on its own resource: %v", err)
	}

	// A disabled user's token is refused, and accepted again once re-enabled.
	ctx := context.Background()
	a.alice.Disabled = true
	if err := a.store.UpdateUser(ctx, a.alice); err != nil {
		t.Fatal(err)
	}
	_ = a.keys.Refresh(ctx)
	if s, _ := a.call(tr.AccessToken); s != http.StatusUnauthorized {
		t.Errorf("token of a disabled user: %d", s)
	}
	if s, r := a.token(refresh(client, tr.RefreshToken)); s != 400 {
		t.Errorf("refresh of a disabled user: %d %+v", s, r)
	}

	a.alice.Disabled = false
	if err := a.store.UpdateUser(ctx, a.alice); err != nil {
		t.Fatal(err)
	}
	_ = a.keys.Refresh(ctx)
	tr = a.tokens(client, redirect)
	a.clock.Add(time.Hour + time.Second)
	if s, _ := a.call(tr.AccessToken); s != http.StatusUnauthorized {
		t.Errorf("expired access token: %d", s)
	}
	if s, r := a.token(refresh(client, tr.RefreshToken)); s != 200 {
		t.Errorf("refresh after the access token expired: %d %+v", s, r)
	}
	tr = a.tokens(client, redirect)
	a.clock.Add(25 * time.Hour)
	if s, r := a.token(refresh(client, tr.RefreshToken)); s != 400 || !strings.Contains(r.Description, "expired") {
		t.Errorf("expired refresh token: %d %+v", s, r)
	}
}

func httptestRequest(t *testing.T, u, tok string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}
