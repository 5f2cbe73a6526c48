// Package config loads the agent's config.toml, in the format of the Rust mcp-gateway-agent:
// defaults, then the file, then MCPGW_* environment variables, then flags, then Validate.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/tomlkeys"
	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
)

// Config is the whole config file.
type Config struct {
	Agent    Agent            `toml:"agent"`
	Backends []backend.Config `toml:"backends"`
	// Tracing is the [tracing] table: OpenTelemetry spans of every call, exported over
	// OTLP/HTTP (docs/TRACING.md). Off unless an endpoint is set here or in OTEL_* variables.
	Tracing tracing.Settings `toml:"tracing"`

	// Path is the file the config was read from; empty when there was none.
	Path string `toml:"-"`
	// Unknown lists keys in the file that this agent does not understand. They are
	// not an error, so a config written for a newer or older agent still loads.
	Unknown []string `toml:"-"`
	// unknownKeys are Unknown as decoded, for DescribeUnknown.
	unknownKeys []toml.Key

	// raw is the file as decoded into maps, so that Marshal can keep unknown keys.
	raw map[string]any
}

// Agent is the [agent] table: who this agent is and where its hub is.
type Agent struct {
	// AgentID names this agent at the hub; the API key must be bound to it.
	AgentID string `toml:"agent_id"`
	// GatewayURL is the hub's tunnel endpoint, ws:// or wss://…/agent/ws.
	GatewayURL string `toml:"gateway_url"`
	// APIKey is the agent key (mcpgw_…) sent as a Bearer token.
	APIKey string `toml:"api_key"`
	// DashboardURL is the hub's web address, shown to the user; optional.
	DashboardURL string `toml:"dashboard_url"`
	// TLSSkipVerify disables certificate checks toward the hub. For testing only.
	TLSSkipVerify bool `toml:"tls_skip_verify"`
	// ProxyURL is an explicit proxy (http://, https:// or socks5://) for the tunnel; when
	// empty, HTTPS_PROXY / NO_PROXY from the environment apply.
	ProxyURL string `toml:"proxy_url"`
	// LogLevel is debug, info (default), warn or error.
	LogLevel string `toml:"log_level"`

	// Self-update (docs/UPDATE.md); update.go has the defaults and checks.

	// AutoUpdate lets a headless agent (a service) ask its hub for a new release once per
	// UpdateInterval and apply it. Default true; false means updates happen only by hand
	// (`mcp-gateway-agent update`).
	AutoUpdate bool `toml:"auto_update"`
	// ReleasePublicKey is a base64 Ed25519 public key trusted to sign releases, besides the
	// one compiled into the binary (`mcp-gateway-hub releases keygen` prints it).
	ReleasePublicKey string `toml:"release_public_key"`
	// UpdateGrace is how long a freshly updated agent has to reach its hub before it puts the
	// previous binary back, like "2m" (the default).
	UpdateGrace string `toml:"update_grace"`
	// UpdateInterval is the time between automatic update checks, like "24h" (the default).
	UpdateInterval string `toml:"update_interval"`
}

// Environment variables that override the file.
const (
	EnvAgentID    = "MCPGW_AGENT_ID"
	EnvGatewayURL = "MCPGW_GATEWAY_URL"
	EnvAPIKey     = "MCPGW_API_KEY"
)

// Flags are command-line overrides; empty fields leave the value as it is.
type Flags struct {
	AgentID    string
	GatewayURL string
	LogLevel   string
}

// Defaults returns a config with every default filled in.
func Defaults() *Config {
	return &Config{Agent: Agent{LogLevel: "info", AutoUpdate: true, UpdateGrace: DefaultUpdateGrace, UpdateInterval: DefaultUpdateInterval}}
}

// Load reads the config. When path is empty the default path is used, and a missing
// default file is not an error (environment variables may carry everything); an explicit
// path must exist. getenv is os.LookupEnv in production.
func Load(path string, getenv func(string) (string, bool), flags Flags) (*Config, error) {
	explicit := path != ""
	path, err := ResolvePath(path)
	if err != nil {
		return nil, err
	}
	cfg := Defaults()
	if err := cfg.readFile(path); err != nil {
		if explicit || !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	cfg.applyEnv(getenv)
	cfg.applyFlags(flags)
	if err := cfg.Validate(); err != nil {
		if cfg.Path == "" {
			return nil, fmt.Errorf("%w (no config file at %s)", err, path)
		}
		return nil, fmt.Errorf("config %s: %w", cfg.Path, err)
	}
	return cfg, nil
}

// Parse decodes TOML text over c, recording keys it does not know.
func (c *Config) Parse(text string) error {
	md, err := toml.Decode(text, c)
	if err != nil {
		return err
	}
	c.raw = nil
	if _, err := toml.Decode(text, &c.raw); err != nil {
		return err
	}
	for _, k := range md.Undecoded() {
		c.Unknown = append(c.Unknown, k.String())
		c.unknownKeys = append(c.unknownKeys, k)
	}
	return nil
}

// DescribeUnknown names the keys not understood, each with the known key it most likely
// misspells: `"backends.comand" (did you mean "command"?)`.
func (c *Config) DescribeUnknown() string {
	return tomlkeys.DescribeAll(c, c.unknownKeys)
}

func (c *Config) readFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if err := c.Parse(string(b)); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	c.Path = path
	return nil
}

func (c *Config) applyEnv(getenv func(string) (string, bool)) {
	if getenv == nil {
		return
	}
	set := func(dst *string, name string) {
		if v, ok := getenv(name); ok && v != "" {
			*dst = v
		}
	}
	set(&c.Agent.AgentID, EnvAgentID)
	set(&c.Agent.GatewayURL, EnvGatewayURL)
	set(&c.Agent.APIKey, EnvAPIKey)
}

func (c *Config) applyFlags(f Flags) {
	if f.AgentID != "" {
		c.Agent.AgentID = f.AgentID
	}
	if f.GatewayURL != "" {
		c.Agent.GatewayURL = f.GatewayURL
	}
	if f.LogLevel != "" {
		c.Agent.LogLevel = f.LogLevel
	}
}

// Level is the slog level named by LogLevel (Validate has checked it).
func (a Agent) Level() slog.Level {
	switch strings.ToLower(a.LogLevel) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
