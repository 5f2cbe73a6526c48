package backend

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Transports a backend can use.
const (
	TransportStdio = "stdio"
	TransportHTTP  = "http" // streamable HTTP
	TransportSSE   = "sse"  // the deprecated HTTP+SSE transport of 2024-11-05
)

// Eras a backend may be spoken to in (Config.Era).
const (
	EraAuto   = "auto"   // the stateless era when server/discover offers it, else initialize
	EraLegacy = "legacy" // initialize only
)

// Config describes one MCP server. It is also the [[backends]] entry of the agent's and the
// hub's TOML configuration files.
type Config struct {
	Name      string            `toml:"name"`      // unique per agent or hub; part of exposed names
	Transport string            `toml:"transport"` // stdio | http (streamable HTTP) | sse
	Command   string            `toml:"command"`   // stdio: the program, looked up in the agent's PATH
	Args      []string          `toml:"args"`      // stdio: its arguments
	Env       map[string]string `toml:"env"`       // stdio: variables added to the clean environment
	Cwd       string            `toml:"cwd"`       // stdio: working directory; empty means the agent's
	URL       string            `toml:"url"`       // http, sse: the endpoint (for sse, the GET stream)
	Headers   map[string]string `toml:"headers"`   // http, sse: sent on every request
	Naming    string            `toml:"naming"`    // prefixed (default) | auto; carried into the snapshot
	Session   string            `toml:"session"`   // shared (default) | per-client (not supported yet)
	// Era is auto (default: probe server/discover, fall back to initialize) or legacy
	// (initialize only, for a dual-era server whose tools still send server→client requests,
	// or that costs less per call in the legacy era: go-sdk's server does, ≈ 20–25 % of its CPU).
	Era string `toml:"era"`
	// MaxMessageBytes bounds one message from the server, in bytes: a stdio server's line, a
	// streamable HTTP server's JSON body or event, an HTTP+SSE server's event; 0 means
	// DefaultMaxMessageBytes (16 MiB). A longer message fails only the call it answers, with
	// mcp.CodeResultTooLarge; the server keeps running and its session with it.
	MaxMessageBytes int `toml:"max_message_bytes"`
	// StartupTimeout bounds a start: spawning or connecting, initialize and the first lists,
	// like "2m"; 0 means DefaultStartupTimeout (60 s). Raise it for a server fetched on first
	// start (npx, uvx) over a slow link; a start that overruns is retried with backoff.
	StartupTimeout time.Duration `toml:"startup_timeout"`

	// Call bounds of this backend (docs/LIMITS.md); zero means the hub's default ([calls] in
	// hub.toml). An agent publishes them to its hub, which enforces them.

	// Timeout is the deadline of one call, like "30s".
	Timeout time.Duration `toml:"timeout"`
	// MaxConcurrent is how many calls may run on the backend at once.
	MaxConcurrent int `toml:"max_concurrent"`
	// MaxQueue is how many more calls may wait for a free slot; beyond it, calls fail at once.
	MaxQueue int `toml:"max_queue"`

	// OAuth of an http or sse server that answers 401 with a Bearer challenge: its state is
	// needs_login until an operator runs `backends login NAME` (docs/OAUTH-BACKENDS.md).
	// Without these the gateway registers itself dynamically (RFC 7591) where the server
	// allows it.

	// OAuthClientID is a client id registered beforehand with the server's authorization server.
	OAuthClientID string `toml:"oauth_client_id"`
	// OAuthClientSecret is that client's secret (a confidential client). The REST API never
	// shows it; in the hub's database it is sealed with the rest of the backend's configuration.
	OAuthClientSecret string `toml:"oauth_client_secret"`
	// OAuthClientMetadataURL is the https URL of a Client ID Metadata Document describing the
	// gateway, used as its client id where the authorization server supports them.
	OAuthClientMetadataURL string `toml:"oauth_client_metadata_url"`
	// OAuthScopes are the scopes to request instead of those the server names.
	OAuthScopes []string `toml:"oauth_scopes"`
}

// OAuthFlow is the login configuration of this backend, for `backends login`.
func (c *Config) OAuthFlow() oauth.FlowConfig {
	return oauth.FlowConfig{ServerURL: c.URL, Headers: c.Headers, ClientID: c.OAuthClientID,
		ClientSecret: c.OAuthClientSecret, ClientMetadataURL: c.OAuthClientMetadataURL, Scopes: c.OAuthScopes}
}

// usesOAuth reports whether the gateway may log in to the server: an HTTP transport and no
// Authorization header of the operator's own.
func (c *Config) usesOAuth() bool {
	if c.Transport != TransportHTTP && c.Transport != TransportSSE {
		return false
	}
	for k := range c.Headers {
		if strings.EqualFold(k, "Authorization") {
			return false
		}
	}
	return true
}

// DefaultStartupTimeout is startup_timeout's default: long enough for npx to fetch a
// server on first start.
const DefaultStartupTimeout = 60 * time.Second

func (c *Config) startupTimeout() time.Duration {
	if c.StartupTimeout > 0 {
		return c.StartupTimeout
	}
	return DefaultStartupTimeout
}

func (c *Config) maxMessageBytes() int {
	if c.MaxMessageBytes > 0 {
		return c.MaxMessageBytes
	}
	return DefaultMaxMessageBytes
}

// Limits returns the call bounds set for this backend, or nil if none is.
func (c *Config) Limits() *protocol.Limits {
	if c.Timeout == 0 && c.MaxConcurrent == 0 && c.MaxQueue == 0 {
		return nil
	}
	return &protocol.Limits{TimeoutMs: c.Timeout.Milliseconds(), MaxConcurrent: c.MaxConcurrent, MaxQueue: c.MaxQueue}
}

// validateLimits checks the call bounds: none negative, and a timeout of at least 1 ms,
// the resolution at which it crosses the tunnel.
func (c *Config) validateLimits() error {
	switch {
	case c.Timeout < 0 || (c.Timeout > 0 && c.Timeout < time.Millisecond):
		return fmt.Errorf("backend %q: timeout %s: want at least 1ms, or leave it out for the hub's default", c.Name, c.Timeout)
	case c.MaxConcurrent < 0:
		return fmt.Errorf("backend %q: max_concurrent %d is negative", c.Name, c.MaxConcurrent)
	case c.MaxQueue < 0:
		return fmt.Errorf("backend %q: max_queue %d is negative", c.Name, c.MaxQueue)
	}
	return nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

// Validate checks the entry and says which backend and which field is wrong.
func (c *Config) Validate() error {
	if c.Name == "" {
		return errors.New("backend: name is required")
	}
	if !nameRE.MatchString(c.Name) || strings.Contains(c.Name, "__") {
		return fmt.Errorf("backend %q: name must be 1-32 characters of [A-Za-z0-9_-], "+
			"start with a letter or digit, and not contain \"__\"", c.Name)
	}
	switch c.Transport {
	case TransportStdio:
		if c.Command == "" {
			return fmt.Errorf("backend %q: transport stdio needs a command", c.Name)
		}
	case TransportHTTP, TransportSSE:
		if c.URL == "" {
			return fmt.Errorf("backend %q: transport %s needs a url", c.Name, c.Transport)
		}
		if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
			return fmt.Errorf("backend %q: url %q must start with http:// or https://", c.Name, c.URL)
		}
	case "":
		return fmt.Errorf("backend %q: transport is required (stdio, http or sse)", c.Name)
	default:
		return fmt.Errorf("backend %q: unknown transport %q (want stdio, http or sse)", c.Name, c.Transport)
	}
	switch c.Naming {
	case "", "prefixed", "auto":
	default:
		return fmt.Errorf("backend %q: unknown naming %q (want prefixed or auto)", c.Name, c.Naming)
	}
	switch c.Era {
	case "", EraAuto, EraLegacy:
	default:
		return fmt.Errorf("backend %q: unknown era %q (want auto or legacy)", c.Name, c.Era)
	}
	if c.StartupTimeout < 0 || (c.StartupTimeout > 0 && c.StartupTimeout < time.Second) {
		return fmt.Errorf("backend %q: startup_timeout %s: want at least 1s, or leave it out for the default (%s)",
			c.Name, c.StartupTimeout, DefaultStartupTimeout)
	}
	if c.MaxMessageBytes < 0 {
		return fmt.Errorf("backend %q: max_message_bytes must not be negative (0 means the default, %d)",
			c.Name, DefaultMaxMessageBytes)
	}
	switch c.Session {
	case "", "shared":
	case "per-client":
		return fmt.Errorf("backend %q: session = \"per-client\" is not supported yet; remove it to share one session", c.Name)
	default:
		return fmt.Errorf("backend %q: unknown session %q (want shared)", c.Name, c.Session)
	}
	if err := c.validateOAuth(); err != nil {
		return err
	}
	return c.validateLimits()
}

func (c *Config) validateOAuth() error {
	set := c.OAuthClientID != "" || c.OAuthClientSecret != "" || c.OAuthClientMetadataURL != "" || len(c.OAuthScopes) > 0
	switch {
	case !set:
		return nil
	case c.Transport != TransportHTTP && c.Transport != TransportSSE:
		return fmt.Errorf("backend %q: oauth_* settings need transport http or sse", c.Name)
	case !c.usesOAuth():
		return fmt.Errorf("backend %q: oauth_* settings and an Authorization header exclude each other", c.Name)
	case c.OAuthClientSecret != "" && c.OAuthClientID == "":
		return fmt.Errorf("backend %q: oauth_client_secret needs oauth_client_id", c.Name)
	}
	if u := c.OAuthClientMetadataURL; u != "" {
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" || pu.Host == "" || pu.Path == "" || pu.Path == "/" {
			return fmt.Errorf("backend %q: oauth_client_metadata_url %q must be an https URL with a path", c.Name, u)
		}
	}
	return nil
}
