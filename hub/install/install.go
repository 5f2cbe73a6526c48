// Package install serves the agent install scripts at /install.sh and /install.ps1 with this
// hub's public URL and release key filled in, so `curl -fsSL https://HUB/install.sh | sh` needs no flags.
package install

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	mcpgateway "github.com/mcp-gateway/mcp-gateway"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
)

// The scripts the hub serves.
const (
	Shell      = "install.sh"
	PowerShell = "install.ps1"
)

// Placeholders in the scripts, each quoted exactly once ('…') where the script reads it.
const (
	HubPlaceholder = "@@MCPGW_HUB_URL@@"
	KeyPlaceholder = "@@MCPGW_RELEASE_KEY@@"
)

// Config says what the scripts are filled in with.
type Config struct {
	// PublicURL is the hub's URL as agents reach it (hub.toml public_url). Empty: derived from
	// each request's Host header and scheme.
	PublicURL string
	// TrustForwardedProto takes the scheme from X-Forwarded-Proto when PublicURL is empty; set
	// it only behind a proxy that sets that header itself.
	TrustForwardedProto bool
	// AllowedHosts, when not empty, lists the Host header values a URL may be derived from.
	AllowedHosts []string
	// ReleaseKey is the base64 Ed25519 public key that signs agent releases; empty leaves the
	// scripts without one (they then refuse to install unless the user gives a key or
	// --insecure-skip-signature).
	ReleaseKey string
	// ReleaseKeyFunc, when set, is asked for the key on each request instead (the key of
	// releases the hub builds itself may be made while it runs).
	ReleaseKeyFunc func() string
}

// safeURL is what may appear inside the scripts' single quotes: no quote, no $, no backtick,
// no space — nothing a shell or PowerShell would interpret.
var (
	safeURL = regexp.MustCompile(`^https?://[A-Za-z0-9._~:/%\[\]-]+$`)
	safeKey = regexp.MustCompile(`^[A-Za-z0-9+/]{43}=$`)
	// plainHost is a DNS name or bracketed IPv6 address with an optional port.
	plainHost = regexp.MustCompile(`^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)
)

// ErrUnsafe is returned by Render for a URL or key that cannot be placed in a script safely.
var ErrUnsafe = errors.New("unsafe value for an install script")

// Render returns script (install.sh or install.ps1) with hubURL and key filled in.
func Render(script, hubURL, key string) (string, error) {
	text, ok := mcpgateway.InstallScript(script)
	if !ok {
		return "", fmt.Errorf("no install script named %q", script)
	}
	hubURL = strings.TrimSuffix(hubURL, "/")
	if !safeURL.MatchString(hubURL) {
		return "", fmt.Errorf("%w: hub URL %q (want http(s)://host[:port][/path] of letters, digits and ._~:/%%[]-)", ErrUnsafe, hubURL)
	}
	if key != "" && !safeKey.MatchString(key) {
		return "", fmt.Errorf("%w: release key %q is not the base64 of a 32-byte Ed25519 public key", ErrUnsafe, key)
	}
	text = strings.Replace(text, "'"+HubPlaceholder+"'", "'"+hubURL+"'", 1)
	return strings.Replace(text, "'"+KeyPlaceholder+"'", "'"+key+"'", 1), nil
}

// Handler serves one script (Shell or PowerShell) filled in for the requesting client.
func Handler(script string, c Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hubURL, err := c.HubURL(r)
		if err != nil {
			http.Error(w, "cannot fill in this hub's URL: "+err.Error()+"; set public_url in the hub's configuration", http.StatusBadRequest)
			return
		}
		key := c.ReleaseKey
		if c.ReleaseKeyFunc != nil {
			key = c.ReleaseKeyFunc()
		}
		text, err := Render(script, hubURL, key)
		if err != nil {
			http.Error(w, "cannot serve "+script+": "+err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		if c.PublicURL == "" {
			h.Set("Vary", "Host, X-Forwarded-Proto")
		}
		_, _ = w.Write([]byte(text))
	})
}

// HubURL is the URL the scripts are filled in with: PublicURL, or else the scheme and Host of
// r. A Host that is not a plain host name, or not in AllowedHosts, is refused.
func (c Config) HubURL(r *http.Request) (string, error) {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/"), nil
	}
	host := r.Host
	if !plainHost.MatchString(host) {
		return "", fmt.Errorf("the Host header %q is not a plain host name", host)
	}
	if !config.HostAllowed(c.AllowedHosts, host) {
		return "", fmt.Errorf("the Host header %q is not in allowed_hosts", host)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if c.TrustForwardedProto {
		p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
		if p = strings.ToLower(strings.TrimSpace(p)); p == "http" || p == "https" {
			scheme = p
		}
	}
	return scheme + "://" + host, nil
}
