package console_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/console"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// consoleHub is a real hub with users of each built-in role, all with passwords.
type consoleHub struct {
	*hubtest.Hub
	pass map[string]string // role → password; the user's name is the role
}

func startHub(t *testing.T, mod func(*config.Config)) *consoleHub {
	t.Helper()
	h := &consoleHub{Hub: hubtest.Start(t, mod), pass: map[string]string{}}
	for _, role := range []string{"owner", "operator", "viewer"} {
		pw := "correct horse " + role
		if role == "owner" {
			// The owner exists, without a password yet.
			h.do(t, "POST", "/api/v1/auth/password", map[string]string{"current": "", "new": pw}, "", nil, 204, nil)
		} else {
			h.do(t, "POST", "/api/v1/users", map[string]string{"name": role, "role": role, "password": pw}, "", nil, 201, nil)
		}
		h.pass[role] = pw
	}
	return h
}

// do sends a request: with the owner's key unless jar is given (then with the jar's
// cookies and csrf, if not empty, in the CSRF header). Checks the status; decodes into out.
func (h *consoleHub) do(t *testing.T, method, path string, body any, csrf string, c *http.Client, want int, out any) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c == nil {
		req.Header.Set("Authorization", "Bearer "+h.OwnerKey)
		c = http.DefaultClient
	}
	if csrf != "" {
		req.Header.Set(console.CSRFHeader, csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s (want %d)", method, path, resp.StatusCode, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return resp
}

// signIn signs in as role and returns a client holding the cookie, and the CSRF token.
func (h *consoleHub) signIn(t *testing.T, role string) (*http.Client, string, *http.Response) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var info console.SessionInfo
	resp := h.do(t, "POST", "/ui/session", map[string]string{"name": role, "password": h.pass[role]}, "", c, 200, &info)
	if !info.SignedIn || info.CSRFToken == "" {
		t.Fatalf("sign-in answered %+v", info)
	}
	return c, info.CSRFToken, resp
}

func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == console.CookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", console.CookieName, resp.Header.Values("Set-Cookie"))
	return nil
}

func TestSignInCookie(t *testing.T) {
	h := startHub(t, nil)
	_, _, resp := h.signIn(t, "viewer")
	ck := sessionCookie(t, resp)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.MaxAge != 0 {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, no Max-Age", ck)
	}
	if ck.Secure {
		t.Error("cookie is Secure over plain HTTP on loopback: the browser would never send it back")
	}
	if len(ck.Value) < 40 {
		t.Errorf("cookie value %q is too short to be unguessable", ck.Value)
	}

	// A wrong password: 401, no cookie, and the same lockout counting as the REST login.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	r2 := h.do(t, "POST", "/ui/session", map[string]string{"name": "viewer", "password": "wrong"}, "", c, 401, nil)
	if len(r2.Cookies()) != 0 {
		t.Errorf("a refused sign-in set %v", r2.Header.Values("Set-Cookie"))
	}
	// Not JSON (a cross-site form post): refused before the password is looked at.
	req, _ := http.NewRequest("POST", h.URL+"/ui/session", strings.NewReader("name=viewer&password=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form-encoded sign-in: %v %v, want 415", resp.StatusCode, err)
	}
}

func TestSecureCookieBehindHTTPS(t *testing.T) {
	t.Run("public_url https with a path", func(t *testing.T) {
		h := startHub(t, func(c *config.Config) {
			c.PublicURL = "https://example.test/gateway"
			c.AllowedHosts = []string{"127.0.0.1"}
		})
		_, _, resp := h.signIn(t, "operator")
		ck := sessionCookie(t, resp)
		if !ck.Secure || ck.Path != "/gateway/" {
			t.Errorf("cookie Secure=%v Path=%q: want Secure and Path /gateway/", ck.Secure, ck.Path)
		}
	})
	t.Run("trusted X-Forwarded-Proto", func(t *testing.T) {
		for _, trust := range []bool{true, false} {
			h := startHub(t, func(c *config.Config) { c.TrustForwardedProto = trust })
			b, _ := json.Marshal(map[string]string{"name": "viewer", "password": h.pass["viewer"]})
			req, _ := http.NewRequest("POST", h.URL+"/ui/session", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-Proto", "https")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("sign-in: %v %v", resp.StatusCode, err)
			}
			resp.Body.Close()
			if ck := sessionCookie(t, resp); ck.Secure != trust {
				t.Errorf("trust_forwarded_proto=%v: Secure=%v", trust, ck.Secure)
			}
		}
	})
}

// TestCSRF: a console session's writes need its CSRF token; its reads do not; a write
// with the token is still subject to RBAC; bearer keys are unaffected.
func TestCSRF(t *testing.T) {
	h := startHub(t, nil)
	c, csrf, _ := h.signIn(t, "operator")
	var me struct {
		Name        string   `json:"name"`
		Permissions []string `json:"permissions"`
	}
	h.do(t, "GET", "/api/v1/auth/me", nil, "", c, 200, &me)
	if me.Name != "operator" {
		t.Fatalf("the cookie speaks for %q, want operator", me.Name)
	}
	enroll := func(id string) map[string]string { return map[string]string{"id": id} }
	var e struct{ Error struct{ Code string } }
	h.do(t, "POST", "/api/v1/agents", enroll("a1"), "", c, 403, &e)
	if e.Error.Code != "csrf" {
		t.Errorf("write without the token: code %q, want csrf", e.Error.Code)
	}
	h.do(t, "POST", "/api/v1/agents", enroll("a1"), "not-the-token", c, 403, &e)
	h.do(t, "POST", "/api/v1/agents", enroll("a1"), csrf+"x", c, 403, nil)
	// Another session's token does not fit this one.
	_, other, _ := h.signIn(t, "operator")
	h.do(t, "POST", "/api/v1/agents", enroll("a1"), other, c, 403, nil)
	h.do(t, "POST", "/api/v1/agents", enroll("a1"), csrf, c, 201, nil)
	// DELETE and PATCH too; a dry-run POST (read-only) too.
	h.do(t, "DELETE", "/api/v1/agents/a1", nil, "", c, 403, nil)
	h.do(t, "DELETE", "/api/v1/agents/a1", nil, csrf, c, 204, nil)
	h.do(t, "POST", "/api/v1/policies/dry-run", map[string]string{"tool": "x"}, "", c, 403, nil)
	h.do(t, "POST", "/api/v1/policies/dry-run", map[string]string{"tool": "x"}, csrf, c, 200, nil)

	// A viewer with a valid token is refused by RBAC, not let through by the token.
	vc, vcsrf, _ := h.signIn(t, "viewer")
	h.do(t, "POST", "/api/v1/agents", enroll("a2"), vcsrf, vc, 403, &e)
	if e.Error.Code != "forbidden" {
		t.Errorf("viewer's enroll: code %q, want forbidden", e.Error.Code)
	}
	// No cookie, no key: 401. A bearer key needs no CSRF token (a browser cannot send it
	// cross-site).
	h.do(t, "GET", "/api/v1/auth/me", nil, "", &http.Client{}, 401, nil)
	h.do(t, "POST", "/api/v1/agents", enroll("a3"), "", nil, 201, nil)
	// An unknown cookie: 401, even for a read.
	req, _ := http.NewRequest("GET", h.URL+"/api/v1/auth/me", nil)
	req.AddCookie(&http.Cookie{Name: console.CookieName, Value: "forged"})
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("forged cookie: %v %v, want 401", resp.StatusCode, err)
	}
}

func TestSignOut(t *testing.T) {
	h := startHub(t, nil)
	c, csrf, _ := h.signIn(t, "owner")
	h.do(t, "DELETE", "/ui/session", nil, "", c, 403, nil) // CSRF: a cross-site page cannot sign you out
	h.do(t, "GET", "/api/v1/auth/me", nil, "", c, 200, nil)
	resp := h.do(t, "DELETE", "/ui/session", nil, csrf, c, 204, nil)
	if ck := sessionCookie(t, resp); ck.MaxAge >= 0 {
		t.Errorf("sign-out cookie %+v does not delete it", ck)
	}
	var info console.SessionInfo
	h.do(t, "GET", "/ui/session", nil, "", c, 200, &info)
	if info.SignedIn {
		t.Error("still signed in after sign-out")
	}
	h.do(t, "GET", "/api/v1/auth/me", nil, "", c, 401, nil)
}

// TestPasswordChangeEndsSession: the session's tokens are the REST API's, so a new
// password (which ends every earlier token) ends the console session at its next refresh;
// a disabled user is refused at once.
func TestDisabledUserRefused(t *testing.T) {
	h := startHub(t, nil)
	c, _, _ := h.signIn(t, "operator")
	h.do(t, "GET", "/api/v1/auth/me", nil, "", c, 200, nil)
	var users struct{ Items []struct{ ID, Name string } }
	h.do(t, "GET", "/api/v1/users", nil, "", nil, 200, &users)
	for _, u := range users.Items {
		if u.Name == "operator" {
			h.do(t, "PATCH", "/api/v1/users/"+u.ID, map[string]bool{"disabled": true}, "", nil, 200, nil)
		}
	}
	h.do(t, "GET", "/api/v1/auth/me", nil, "", c, 401, nil)
}

var inlineRE = regexp.MustCompile(`(?is)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)

// TestCSP: every /ui answer carries the strict policy, and no embedded page relies on
// anything it forbids (inline script, inline style, event attributes).
func TestCSP(t *testing.T) {
	h := startHub(t, nil)
	for _, p := range []string{"/ui/", "/ui/app.js", "/ui/style.css", "/ui/session", "/ui/nope"} {
		resp, err := http.Get(h.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if csp != console.CSP {
			t.Errorf("%s: CSP %q", p, csp)
		}
		for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*", "http:", "https:"} {
			if strings.Contains(csp, bad) {
				t.Errorf("%s: the CSP allows %s", p, bad)
			}
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: frame/nosniff headers missing: %v", p, resp.Header)
		}
		if p == "/ui/" && inlineRE.Match(body) {
			t.Errorf("index.html has inline script or style: %s", inlineRE.Find(body))
		}
	}
	// The checker itself finds what it must.
	for _, s := range []string{`<script>alert(1)</script>`, `<div style="x">`, `<a onclick="x">`, `<style>`} {
		if !inlineRE.MatchString(s) {
			t.Errorf("inline check misses %s", s)
		}
	}
	if inlineRE.MatchString(`<script type="module" src="app.js"></script>`) {
		t.Error("inline check flags an external script")
	}
	// /ui redirects relatively (a proxy's path prefix is kept).
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(h.URL + "/ui")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 301 || loc != "ui/" {
		t.Errorf("/ui: %d Location %q, want 301 ui/", resp.StatusCode, loc)
	}
}

func TestConsoleDisabled(t *testing.T) {
	h := startHub(t, func(c *config.Config) { c.UI.Disabled = true })
	resp, err := http.Get(h.URL + "/ui/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("ui.disabled: /ui/ answered %d", resp.StatusCode)
	}
}
