package install_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	mcpgateway "github.com/mcp-gateway/mcp-gateway"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/install"
)

const testKey = "qjsIySh8FjEoUYD4PWeVpFAXd95E5x6mMVyhZkmLNfQ="

// The line of each script that receives the hub URL, after rendering.
var servedLine = map[string]*regexp.Regexp{
	install.Shell:      regexp.MustCompile(`(?m)^\s*mcpgw_served_hub='([^']*)'$`),
	install.PowerShell: regexp.MustCompile(`(?m)^\s*\$servedHub = '([^']*)'$`),
}

var keyLine = map[string]*regexp.Regexp{
	install.Shell:      regexp.MustCompile(`(?m)^\s*mcpgw_served_key='([^']*)'$`),
	install.PowerShell: regexp.MustCompile(`(?m)^\s*\$servedKey = '([^']*)'$`),
}

func TestPlaceholdersAppearOnceEach(t *testing.T) {
	for _, name := range []string{install.Shell, install.PowerShell} {
		text, ok := mcpgateway.InstallScript(name)
		if !ok {
			t.Fatalf("%s is not embedded", name)
		}
		for _, p := range []string{install.HubPlaceholder, install.KeyPlaceholder} {
			if n := strings.Count(text, "'"+p+"'"); n != 1 {
				t.Errorf("%s: '%s' appears %d times, want exactly once", name, p, n)
			}
		}
	}
}

func TestRender(t *testing.T) {
	for _, name := range []string{install.Shell, install.PowerShell} {
		out, err := install.Render(name, "https://mcp.example.com/gw/", testKey)
		if err != nil {
			t.Fatal(err)
		}
		if m := servedLine[name].FindStringSubmatch(out); m == nil || m[1] != "https://mcp.example.com/gw" {
			t.Errorf("%s: hub URL line = %q, want https://mcp.example.com/gw", name, m)
		}
		if m := keyLine[name].FindStringSubmatch(out); m == nil || m[1] != testKey {
			t.Errorf("%s: release key line = %q", name, m)
		}
		if strings.Contains(out, "'"+install.HubPlaceholder+"'") || strings.Contains(out, "'"+install.KeyPlaceholder+"'") {
			t.Errorf("%s: a placeholder is left", name)
		}
		// Without a key the script gets an empty one, which it treats as "no key known".
		out, err = install.Render(name, "http://127.0.0.1:3200", "")
		if err != nil {
			t.Fatal(err)
		}
		if m := keyLine[name].FindStringSubmatch(out); m == nil || m[1] != "" {
			t.Errorf("%s: empty key line = %q", name, m)
		}
	}
	if _, err := install.Render("install.bat", "http://127.0.0.1", ""); err == nil {
		t.Error("an unknown script name was rendered")
	}
}

func TestRenderRefusesUnsafeValues(t *testing.T) {
	for _, u := range []string{
		"https://x.example.com/'; rm -rf ~; '", "https://x.example.com/$(id)", "https://x.example.com/`id`",
		"https://x.example.com/a b", "https://x.example.com/?q=1&r=2", "ftp://x.example.com", "x.example.com",
		"https://x.example.com/\n", "https://x.example.com/\"",
	} {
		if _, err := install.Render(install.Shell, u, ""); err == nil {
			t.Errorf("hub URL %q was rendered", u)
		}
	}
	for _, k := range []string{"abc", testKey + "'", strings.Repeat("A", 44), "$(id)" + testKey[5:]} {
		if _, err := install.Render(install.Shell, "https://x.example.com", k); err == nil {
			t.Errorf("release key %q was rendered", k)
		}
	}
}

func get(t *testing.T, url string, mod func(*http.Request)) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestHubServesScriptsWithItsURL(t *testing.T) {
	h := hubtest.Start(t, nil)
	for _, name := range []string{install.Shell, install.PowerShell} {
		code, hdr, body := get(t, h.URL+"/"+name, nil)
		if code != http.StatusOK || hdr.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("GET /%s: %d %q", name, code, hdr.Get("Content-Type"))
		}
		if m := servedLine[name].FindStringSubmatch(body); m == nil || m[1] != h.URL {
			t.Errorf("/%s carries hub URL %q, want %s", name, m, h.URL)
		}
	}
	// The loopback hub accepts only loopback Host names (DNS-rebinding protection): a script
	// pointing at another host is refused, not served.
	code, _, body := get(t, h.URL+"/install.sh", func(r *http.Request) { r.Host = "evil.example.com" })
	if code != http.StatusBadRequest || !strings.Contains(body, "allowed_hosts") || !strings.Contains(body, "public_url") {
		t.Errorf("foreign Host: %d %s", code, body)
	}
	code, _, body = get(t, h.URL+"/install.sh", func(r *http.Request) { r.Host = "localhost:1';id;'" })
	if code != http.StatusBadRequest || !strings.Contains(body, "not a plain host name") {
		t.Errorf("Host with quotes: %d %s", code, body)
	}
	// X-Forwarded-Proto is ignored unless trusted.
	_, _, body = get(t, h.URL+"/install.sh", func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") })
	if m := servedLine[install.Shell].FindStringSubmatch(body); m == nil || m[1] != h.URL {
		t.Errorf("untrusted X-Forwarded-Proto changed the URL: %q", m)
	}
	if code, _, _ := get(t, h.URL+"/install.bat", nil); code != http.StatusNotFound {
		t.Errorf("GET /install.bat: %d", code)
	}
}

func TestHubPublicURLAndForwardedProto(t *testing.T) {
	h := hubtest.Start(t, func(c *config.Config) { c.PublicURL = "https://mcp.example.com/" })
	_, _, body := get(t, h.URL+"/install.ps1", nil)
	if m := servedLine[install.PowerShell].FindStringSubmatch(body); m == nil || m[1] != "https://mcp.example.com" {
		t.Errorf("public_url: %q", m)
	}
	// public_url wins over any Host, even one the hub would refuse to derive a URL from.
	code, _, body := get(t, h.URL+"/install.sh", func(r *http.Request) { r.Host = "evil.example.com" })
	if m := servedLine[install.Shell].FindStringSubmatch(body); code != http.StatusOK || m == nil || m[1] != "https://mcp.example.com" {
		t.Errorf("public_url with a foreign Host: %d %q", code, m)
	}

	h = hubtest.Start(t, func(c *config.Config) { c.TrustForwardedProto = true })
	_, _, body = get(t, h.URL+"/install.sh", func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https, http") })
	if m := servedLine[install.Shell].FindStringSubmatch(body); m == nil || m[1] != "https"+strings.TrimPrefix(h.URL, "http") {
		t.Errorf("trusted X-Forwarded-Proto: %q", m)
	}
	_, _, body = get(t, h.URL+"/install.sh", func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "gopher") })
	if m := servedLine[install.Shell].FindStringSubmatch(body); m == nil || m[1] != h.URL {
		t.Errorf("unknown X-Forwarded-Proto: %q", m)
	}
}

func TestHubURLFromTLSAndAllowedHosts(t *testing.T) {
	c := install.Config{AllowedHosts: []string{"mcp.example.com"}, ReleaseKey: testKey}
	r := httptest.NewRequest(http.MethodGet, "https://mcp.example.com:8443/install.sh", nil)
	r.TLS = &tls.ConnectionState{}
	if u, err := c.HubURL(r); err != nil || u != "https://mcp.example.com:8443" {
		t.Errorf("TLS request: %q %v", u, err)
	}
	r.Host = "MCP.example.com"
	if _, err := c.HubURL(r); err != nil {
		t.Errorf("host names compare case-insensitively: %v", err)
	}
	r.Host = "other.example.com"
	if _, err := c.HubURL(r); err == nil {
		t.Error("a Host outside allowed_hosts was used")
	}
	w := httptest.NewRecorder()
	r.Host = "mcp.example.com"
	install.Handler(install.Shell, c).ServeHTTP(w, r)
	if m := keyLine[install.Shell].FindStringSubmatch(w.Body.String()); w.Code != http.StatusOK || m == nil || m[1] != testKey {
		t.Errorf("release key: %d %q", w.Code, m)
	}
}

// FuzzHubURL: whatever the Host and X-Forwarded-Proto headers, the script is either refused or
// carries a URL made only of characters that are inert inside single quotes.
func FuzzHubURL(f *testing.F) {
	for _, s := range []string{"127.0.0.1:3200", "[::1]:80", "mcp.example.com", "a'b", "x;id", "", "é.example", "a..b"} {
		f.Add(s, "https")
	}
	inert := regexp.MustCompile(`^https?://[A-Za-z0-9._~:/%\[\]-]+$`)
	f.Fuzz(func(t *testing.T, host, proto string) {
		c := install.Config{TrustForwardedProto: true}
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/install.sh", nil)
		r.Host = host
		r.Header.Set("X-Forwarded-Proto", proto)
		u, err := c.HubURL(r)
		if err != nil {
			return
		}
		out, err := install.Render(install.Shell, u, "")
		if err != nil {
			return
		}
		m := servedLine[install.Shell].FindStringSubmatch(out)
		if m == nil || !inert.MatchString(m[1]) {
			t.Fatalf("host %q proto %q rendered %q", host, proto, m)
		}
	})
}

// A hub without [releases] serves the key of the releases it builds itself, which may be made
// while it runs: the key is asked for on each request.
func TestReleaseKeyFuncAskedPerRequest(t *testing.T) {
	key := ""
	h := install.Handler(install.Shell, install.Config{PublicURL: "https://hub.example", ReleaseKeyFunc: func() string { return key }})
	served := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/install.sh", nil))
		m := keyLine[install.Shell].FindStringSubmatch(rec.Body.String())
		if rec.Code != 200 || m == nil {
			t.Fatalf("GET /install.sh: %d", rec.Code)
		}
		return m[1]
	}
	if k := served(); k != "" {
		t.Fatalf("before the key exists the script carries %q", k)
	}
	key = testKey
	if k := served(); k != testKey {
		t.Fatalf("after the key was made the script carries %q, want %q", k, testKey)
	}
}
