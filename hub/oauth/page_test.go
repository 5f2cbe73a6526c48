package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/oauth"
)

// TestConsentPage: the page names the client and what it asks, loads nothing from
// elsewhere under a strict policy, and its form is refused without its CSRF pair; a bad
// password shows the page again; deny goes back to the client with access_denied, state and iss.
func TestConsentPage(t *testing.T) {
	a := newAS(t, nil)
	client := a.register(redirect)
	_, ch := pkce("v")
	u := a.authURL(client, redirect, ch, nil)
	resp, page := a.get(u)
	if resp.StatusCode != 200 {
		t.Fatalf("page: %d %s", resp.StatusCode, page)
	}
	for _, want := range []string{"Test Client", client, "http://127.0.0.1:7777", a.srv.URL + "/mcp"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self' http://127.0.0.1:7777", "style-src 'nonce-"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("X-Frame-Options %q", resp.Header.Get("X-Frame-Options"))
	}
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the page has %q: it must load nothing", bad)
		}
	}
	v := form(t, page)

	t.Run("csrf", func(t *testing.T) {
		w := url.Values{}
		for k, vs := range v {
			w[k] = vs
		}
		w.Set("username", "alice")
		w.Set("password", password)
		w.Set("action", "allow")
		w.Set("csrf", strings.Repeat("0", 64))
		if resp, body := a.post("/oauth/authorize", "application/x-www-form-urlencoded", w.Encode()); resp.StatusCode != http.StatusForbidden {
			t.Errorf("forged CSRF token: %d %s", resp.StatusCode, body)
		}
		// A browser without the cookie (a form posted from another site).
		w.Set("csrf", v.Get("csrf"))
		bare := &http.Client{CheckRedirect: a.client.CheckRedirect}
		r, err := bare.Post(a.srv.URL+"/oauth/authorize", "application/x-www-form-urlencoded", strings.NewReader(w.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("form without its cookie: %d", r.StatusCode)
		}
		// Another origin, with the cookie.
		req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/oauth/authorize", strings.NewReader(w.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		r, err = a.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("form from another origin: %d", r.StatusCode)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		resp, body := a.consent(u, "alice", "not the password at all", "allow")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password") || resp.Header.Get("Location") != "" {
			t.Errorf("wrong password: %d %s", resp.StatusCode, body)
		}
		resp, body = a.consent(u, "mallory", password, "allow")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password") {
			t.Errorf("unknown user: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("deny", func(t *testing.T) {
		resp, _ := a.consent(u, "", "", "deny")
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("error") != "access_denied" ||
			loc.Query().Get("state") != "st-123" || loc.Query().Get("iss") != a.srv.URL || loc.Query().Get("code") != "" {
			t.Errorf("deny: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// TestAuthorizeRefusals: a request with an unknown client or an unregistered redirect_uri
// is shown as an error and never redirected (no open redirector); other errors go back to
// the client's redirect_uri with the error, the state and iss.
func TestAuthorizeRefusals(t *testing.T) {
	a := newAS(t, nil)
	client := a.register(redirect)
	_, ch := pkce("v")
	shown := []struct {
		name  string
		extra url.Values
	}{
		{"unknown client", url.Values{"client_id": {"mcpgwcl_unknown"}}},
		{"no client", url.Values{"client_id": {""}}},
		{"unregistered redirect_uri", url.Values{"redirect_uri": {"http://127.0.0.1:7777/elsewhere"}}},
		{"redirect to another host", url.Values{"redirect_uri": {"https://evil.example/callback"}}},
		{"duplicate parameter", url.Values{"state": {"a", "b"}}},
	}
	for _, c := range shown {
		t.Run(c.name, func(t *testing.T) {
			resp, body := a.get(a.authURL(client, redirect, ch, c.extra))
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, "cannot be used") {
				t.Errorf("%d, Location %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
		})
	}
	redirected := []struct {
		name, error string
		extra       url.Values
	}{
		{"another resource", "invalid_target", url.Values{"resource": {"https://other.example/mcp"}}},
		{"no PKCE", "invalid_request", url.Values{"code_challenge": {""}}},
		{"plain PKCE", "invalid_request", url.Values{"code_challenge_method": {"plain"}}},
		{"short challenge", "invalid_request", url.Values{"code_challenge": {"abc"}}},
		{"token response", "unsupported_response_type", url.Values{"response_type": {"token"}}},
		{"unknown scope", "invalid_scope", url.Values{"scope": {"admin"}}},
	}
	for _, c := range redirected {
		t.Run(c.name, func(t *testing.T) {
			resp, body := a.get(a.authURL(client, redirect, ch, c.extra))
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || loc == nil || !strings.HasPrefix(loc.String(), redirect+"?") ||
				loc.Query().Get("error") != c.error || loc.Query().Get("state") != "st-123" || loc.Query().Get("iss") != a.srv.URL {
				t.Errorf("%d, Location %q, want %s back to the client\n%s", resp.StatusCode, resp.Header.Get("Location"), c.error, body)
			}
		})
	}
	// A loopback redirect_uri may come back on another port (RFC 8252 7.3).
	resp, _ := a.get(a.authURL(client, "http://127.0.0.1:9999/callback", ch, url.Values{"redirect_uri": {"http://127.0.0.1:9999/callback"}}))
	if resp.StatusCode != 200 {
		t.Errorf("loopback redirect on another port: %d", resp.StatusCode)
	}
}

// TestRegister: DCR takes public clients with usable redirect URIs and refuses the rest.
func TestRegister(t *testing.T) {
	a := newAS(t, nil)
	bad := map[string]string{
		"no redirect":        `{"client_name":"x"}`,
		"http elsewhere":     `{"redirect_uris":["http://example.com/cb"]}`,
		"javascript":         `{"redirect_uris":["javascript:alert(1)"]}`,
		"fragment":           `{"redirect_uris":["https://example.com/cb#x"]}`,
		"secret client":      `{"redirect_uris":["https://example.com/cb"],"token_endpoint_auth_method":"client_secret_basic"}`,
		"implicit":           `{"redirect_uris":["https://example.com/cb"],"grant_types":["implicit"]}`,
		"not json":           `redirect_uris=x`,
		"trailing":           `{"redirect_uris":["https://example.com/cb"]} {}`,
		"redirect not array": `{"redirect_uris":"https://example.com/cb"}`,
	}
	for name, body := range bad {
		resp, out := a.post("/oauth/register", "application/json", body)
		if resp.StatusCode != 400 || !strings.Contains(out, `"error":"invalid_`) {
			t.Errorf("%s: %d %s", name, resp.StatusCode, out)
		}
	}
	resp, out := a.post("/oauth/register", "application/json", `{"client_name":"Native\u202e App","redirect_uris":["com.example.app:/cb","https://example.com/cb"]}`)
	if resp.StatusCode != 201 || !strings.Contains(out, `"token_endpoint_auth_method":"none"`) || strings.Contains(out, "\u202e") {
		t.Errorf("good registration: %d %s", resp.StatusCode, out)
	}
	big := `{"redirect_uris":["https://example.com/cb"],"client_name":"` + strings.Repeat("x", 20000) + `"}`
	if resp, out := a.post("/oauth/register", "application/json", big); resp.StatusCode != 400 {
		t.Errorf("oversized registration: %d %s", resp.StatusCode, out)
	}
	// Registration needs no credential: one address gets a burst, then one a minute.
	refused := 0
	for range oauth.RegisterBurst + 1 {
		resp, out := a.post("/oauth/register", "application/json", `{"redirect_uris":["https://example.com/cb"]}`)
		if resp.StatusCode == http.StatusTooManyRequests {
			refused++
			if resp.Header.Get("Retry-After") == "" || !strings.Contains(out, "too many registrations") {
				t.Errorf("429 without Retry-After or reason: %s", out)
			}
		}
	}
	if refused == 0 {
		t.Errorf("%d registrations from one address, none refused", oauth.RegisterBurst+1)
	}
}
