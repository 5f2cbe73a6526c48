package oauth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/oauth"
)

// FuzzParseClientMetadata: registration bodies and fetched documents never panic, and what
// is accepted has 1 to 10 redirect URIs that each pass CheckRedirectURI.
func FuzzParseClientMetadata(f *testing.F) {
	f.Add([]byte(`{"client_name":"x","redirect_uris":["http://127.0.0.1/cb"]}`))
	f.Add([]byte(`{"redirect_uris":["com.example:/cb"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"none"}`))
	f.Add([]byte(`{"redirect_uris":[]}`))
	f.Add([]byte(`{"redirect_uris":["javascript:x"]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := oauth.ParseClientMetadata(b)
		if err != nil {
			return
		}
		if len(m.RedirectURIs) == 0 || len(m.RedirectURIs) > 10 {
			t.Fatalf("accepted %d redirect URIs", len(m.RedirectURIs))
		}
		for _, u := range m.RedirectURIs {
			if oauth.CheckRedirectURI(u) != nil {
				t.Fatalf("accepted redirect URI %q", u)
			}
		}
	})
}

// FuzzCheckRedirectURI: an accepted redirect URI is absolute, has no fragment, and is never
// plain http to a host other than loopback.
func FuzzCheckRedirectURI(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8/cb", "https://a.example/cb", "cursor://x/y", "javascript:alert(1)", "http://evil/cb", "HTTP://LOCALHOST/x", "data:text/html,x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if oauth.CheckRedirectURI(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil || !u.IsAbs() || strings.Contains(s, "#") {
			t.Fatalf("accepted %q", s)
		}
		sc := strings.ToLower(u.Scheme)
		if sc == "javascript" || sc == "data" || sc == "file" {
			t.Fatalf("accepted scheme of %q", s)
		}
		if sc == "http" && u.Hostname() != "localhost" && !strings.HasPrefix(u.Hostname(), "127.") && u.Hostname() != "::1" {
			t.Fatalf("accepted http to %q", u.Hostname())
		}
	})
}

// FuzzCheckDocumentURL: an accepted client_id URL is https with a host and a path, and no
// query, fragment, user or dot segment.
func FuzzCheckDocumentURL(f *testing.F) {
	for _, s := range []string{"https://a.example/c.json", "https://a.example/", "https://a.example/../x", "http://a/b", "https://u:p@a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := oauth.CheckDocumentURL(s, false)
		if err != nil {
			return
		}
		if u.Scheme != "https" || u.Host == "" || u.Path == "" || u.Path == "/" || u.RawQuery != "" || u.User != nil || strings.Contains(s, "#") {
			t.Fatalf("accepted %q", s)
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted dot segment in %q", s)
			}
		}
	})
}

// FuzzParseAuthRequest: any query parses or is refused with an error; a parameter given
// twice is always refused.
func FuzzParseAuthRequest(f *testing.F) {
	f.Add("response_type=code&client_id=x&code_challenge=abc&code_challenge_method=S256&state=s")
	f.Add("state=a&state=b")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		_, err = oauth.ParseAuthRequest(v)
		for _, name := range []string{"client_id", "redirect_uri", "state", "resource"} {
			if len(v[name]) > 1 && err == nil {
				t.Fatalf("%s given %d times, accepted", name, len(v[name]))
			}
		}
	})
}

// FuzzVerifyPKCE: only the verifier that hashes to the challenge passes.
func FuzzVerifyPKCE(f *testing.F) {
	f.Add(strings.Repeat("a", 43), "")
	f.Add(strings.Repeat("a", 200), "x")
	f.Fuzz(func(t *testing.T, verifier, other string) {
		seed := sha256.Sum256([]byte(verifier))
		v := base64.RawURLEncoding.EncodeToString(seed[:]) // 43 unreserved characters
		sum := sha256.Sum256([]byte(v))
		ch := base64.RawURLEncoding.EncodeToString(sum[:])
		if !oauth.VerifyPKCE(v, ch) {
			t.Fatalf("right verifier %q refused", v)
		}
		if other != v && oauth.VerifyPKCE(other, ch) {
			t.Fatalf("wrong verifier %q accepted", other)
		}
	})
}
