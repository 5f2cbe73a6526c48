package oauth_test

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/oauth"
)

// docServer serves client metadata documents at /good, and broken ones at other paths.
func docServer(t *testing.T, tlsOn bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	var srv *httptest.Server
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		self := srv.URL + r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/good":
			w.Write([]byte(`{"client_id":"` + self + `","client_name":"Doc Client","redirect_uris":["` + redirect + `"],"token_endpoint_auth_method":"none"}`))
		case "/mismatch":
			w.Write([]byte(`{"client_id":"https://someone.else/doc","redirect_uris":["` + redirect + `"]}`))
		case "/redirect":
			http.Redirect(w, r, srv.URL+"/good", http.StatusFound)
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<html></html>`))
		case "/huge":
			w.Write([]byte(`{"client_id":"` + self + `","redirect_uris":["` + redirect + `"],"x":"` + strings.Repeat("x", 40000) + `"}`))
		case "/secret":
			w.Write([]byte(`{"client_id":"` + self + `","redirect_uris":["` + redirect + `"],"token_endpoint_auth_method":"client_secret_post"}`))
		default:
			http.NotFound(w, r)
		}
	})
	if tlsOn {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestDocuments: a client_id that is a metadata document URL is fetched, checked and used;
// a refused document is shown as an error, never redirected to.
func TestDocuments(t *testing.T) {
	docs, hits := docServer(t, false)
	a := newAS(t, func(c *oauthConfig) { c.DocumentAllowPrivate = true })
	v, ch := pkce("d")
	client := docs.URL + "/good"
	resp, page := a.get(a.authURL(client, redirect, ch, nil))
	if resp.StatusCode != 200 || !strings.Contains(page, "Doc Client") || !strings.Contains(page, "Identified by its metadata document") {
		t.Fatalf("document client: %d\n%s", resp.StatusCode, page)
	}
	code := a.code(client, redirect, ch)
	if s, r := a.token(exchange(client, redirect, code, v)); s != 200 {
		t.Fatalf("exchange for a document client: %d %+v", s, r)
	} else if st, id := a.call(r.AccessToken); st != 200 || id.Application != client {
		t.Fatalf("document client's token: %d %+v", st, id)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("document fetched %d times for one flow, want 1 (kept for a while)", n)
	}
	for _, path := range []string{"/mismatch", "/redirect", "/html", "/huge", "/secret", "/missing"} {
		resp, body := a.get(a.authURL(docs.URL+path, redirect, ch, nil))
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("document %s: %d %q", path, resp.StatusCode, resp.Header.Get("Location"))
		}
		t.Logf("%s: %s", path, between(body, `role="alert">`, "</p>"))
	}
}

// TestDocumentsSSRF: without document_allow_private, a client_id on a loopback address is
// refused before anything is fetched; http is refused; https from a private address is
// refused even when its certificate is trusted.
func TestDocumentsSSRF(t *testing.T) {
	plain, plainHits := docServer(t, false)
	secure, secureHits := docServer(t, true)
	roots := x509.NewCertPool()
	roots.AddCert(secure.Certificate())
	a := newAS(t, func(c *oauthConfig) { c.DocumentRoots = roots })
	_, ch := pkce("d")
	for _, client := range []string{plain.URL + "/good", secure.URL + "/good", "https://localhost:1/doc", "https://[::1]:1/doc", "https://10.0.0.1:1/doc"} {
		resp, body := a.get(a.authURL(client, redirect, ch, nil))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d\n%s", client, resp.StatusCode, body)
		}
		t.Logf("%s: %s", client, between(body, `role="alert">`, "</p>"))
	}
	if plainHits.Load()+secureHits.Load() != 0 {
		t.Errorf("a private address was fetched (%d, %d times)", plainHits.Load(), secureHits.Load())
	}
	// With the switch on, the same https document is accepted.
	b := newAS(t, func(c *oauthConfig) { c.DocumentRoots = roots; c.DocumentAllowPrivate = true })
	if resp, body := b.get(b.authURL(secure.URL+"/good", redirect, ch, nil)); resp.StatusCode != 200 {
		t.Errorf("trusted https document with the switch on: %d\n%s", resp.StatusCode, body)
	}
}

func TestCheckDocumentURL(t *testing.T) {
	good := []string{"https://app.example/client.json", "https://app.example:8443/a/b"}
	bad := []string{"http://app.example/c", "https://app.example", "https://app.example/", "https://u@app.example/c",
		"https://app.example/c?x=1", "https://app.example/c#f", "https://app.example/a/../c", "https://app.example/%2e%2e/c", "ftp://x/y"}
	for _, u := range good {
		if _, err := oauth.CheckDocumentURL(u, false); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range bad {
		if _, err := oauth.CheckDocumentURL(u, false); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if _, err := oauth.CheckDocumentURL("http://127.0.0.1:5/c", true); err != nil {
		t.Errorf("loopback http with the switch: %v", err)
	}
}

func TestPublicAddr(t *testing.T) {
	for a, want := range map[string]bool{"8.8.8.8": true, "2606:4700::1111": true, "127.0.0.1": false, "10.1.2.3": false,
		"172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false,
		"::1": false, "fd00::1": false, "fe80::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "224.0.0.1": false} {
		if got := oauth.PublicAddr(netip.MustParseAddr(a)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", a, got, want)
		}
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		s = s[:j]
	}
	return s
}

var _ = url.Values{}
