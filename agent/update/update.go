// Package update is the agent's signed self-update: ask the hub which release to run, download
// it, verify signature → checksum → version, swap the binary with minio/selfupdate keeping the
// old one, and roll back when the new version cannot reach the hub (docs/UPDATE.md).
package update

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// LatestPath is the hub's endpoint naming the release an agent should run.
const LatestPath = "/api/v1/agent/releases/latest"

// Timeouts of the requests to the hub.
const (
	CheckTimeout    = 30 * time.Second
	DownloadTimeout = 10 * time.Minute
)

// Sentinels for callers and tests to branch on; messages carry the details.
var (
	ErrDowngrade  = errors.New("refusing to downgrade")
	ErrSame       = errors.New("already running this version")
	ErrDevBuild   = errors.New("this is a development build")
	ErrNotSigned  = errors.New("the signed checksums do not list the offered archive")
	ErrRolledBack = errors.New("the update was rolled back")
	ErrNoReleases = errors.New("the hub has no release for this agent")
)

// Options configure an Updater.
type Options struct {
	HubURL  string // http(s)://host[:port][/prefix] of the hub
	AgentID string // sent for the hub's staged rollout
	APIKey  string // sent to the hub's latest endpoint only
	Keys    []ed25519.PublicKey
	Current string // the running version; default version.Version
	OS      string // default runtime.GOOS
	Arch    string // default runtime.GOARCH
	Client  *http.Client
	Logger  *slog.Logger
	// Progress, when set, is told how much of the release archive has arrived: done bytes
	// of total (-1 when the server sent no length), at most once per Step of it and at the end.
	Progress func(done, total int64)
}

// Updater checks for, fetches and verifies releases offered by one hub.
type Updater struct {
	o   Options
	hub *url.URL
}

// Release is what the hub offers (the JSON of its latest endpoint), plus how it compares.
type Release struct {
	Version      string `json:"version"`
	OS           string `json:"os"`
	Arch         string `json:"arch"`
	Archive      string `json:"archive"`
	URL          string `json:"url"`
	ChecksumsURL string `json:"checksums_url"`
	SignatureURL string `json:"signature_url"`
	// Newer is set when Version is newer than the running version.
	Newer bool `json:"-"`
}

// New checks o and fills in defaults.
func New(o Options) (*Updater, error) {
	if o.Current == "" {
		o.Current = version.Version
	}
	if o.OS == "" {
		o.OS, o.Arch = runtime.GOOS, runtime.GOARCH
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(strings.TrimSuffix(o.HubURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hub URL %q: want http:// or https://", o.HubURL)
	}
	return &Updater{o: o, hub: u}, nil
}

// FromConfig makes the Options of an agent's config: the hub from dashboard_url or
// gateway_url, the trusted keys, the proxy and TLS settings of the tunnel.
func FromConfig(a config.Agent, log *slog.Logger) (Options, error) {
	hub, err := HubURL(a)
	if err != nil {
		return Options{}, err
	}
	keys, err := TrustedKeys(version.ReleaseKey, a.ReleasePublicKey)
	if err != nil {
		return Options{}, err
	}
	proxy, err := tunnel.ProxyFunc(a.ProxyURL)
	if err != nil {
		return Options{}, fmt.Errorf("agent.proxy_url: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = proxy
	if a.TLSSkipVerify {
		// As for the tunnel; the release signature still protects the binary.
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return Options{HubURL: hub, AgentID: a.AgentID, APIKey: a.APIKey, Keys: keys,
		Client: &http.Client{Transport: tr}, Logger: log}, nil
}

// HubURL is the hub's web address: dashboard_url when set, else gateway_url with ws→http,
// wss→https and the tunnel path (protocol.AgentPath) removed.
func HubURL(a config.Agent) (string, error) {
	if a.DashboardURL != "" {
		return strings.TrimSuffix(a.DashboardURL, "/"), nil
	}
	u, err := url.Parse(a.GatewayURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("agent.gateway_url %q: cannot derive the hub's address from it", a.GatewayURL)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("agent.gateway_url %q: want ws:// or wss://", a.GatewayURL)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), protocol.AgentPath)
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""
	return strings.TrimSuffix(u.String(), "/"), nil
}

// TrustedKeys parses the compiled-in key and the configured one; either may be empty.
func TrustedKeys(compiled, configured string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for _, k := range []struct{ name, value string }{{"the compiled-in release key (shared/version.ReleaseKey)", compiled}, {"agent.release_public_key", configured}} {
		if strings.TrimSpace(k.value) == "" {
			continue
		}
		pk, err := release.ParsePublicKey(k.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.name, err)
		}
		keys = append(keys, pk)
	}
	return keys, nil
}

// Check asks the hub which release this agent should run. It returns nil when the hub offers
// none (no update for this agent now).
func (u *Updater) Check(ctx context.Context) (*Release, error) {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	q := url.Values{"os": {u.o.OS}, "arch": {u.o.Arch}}
	if u.o.AgentID != "" {
		q.Set("agent", u.o.AgentID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.hub.String()+LatestPath+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if u.o.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+u.o.APIKey)
	}
	resp, err := u.o.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask the hub for updates: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("ask the hub for updates: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil, nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("%w: %s", ErrNoReleases, hubError(body))
	case http.StatusOK:
	default:
		return nil, fmt.Errorf("ask the hub for updates: %s: %s", resp.Status, hubError(body))
	}
	return parseLatest(body, u.o.Current)
}

// parseLatest reads the hub's answer to the latest-release question; current is the running
// version (Newer says whether the offer is newer than it).
func parseLatest(body []byte, current string) (*Release, error) {
	var rel Release
	if err := json.Unmarshal(body, &rel); err != nil {
		return nil, fmt.Errorf("hub's release answer is not JSON: %w", err)
	}
	v, err := release.ParseVersion(rel.Version)
	if err != nil {
		return nil, fmt.Errorf("hub offers %w", err)
	}
	if cur, err := release.ParseVersion(current); err == nil {
		rel.Newer = v.Compare(cur) > 0
	}
	return &rel, nil
}

func hubError(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(body))
}
