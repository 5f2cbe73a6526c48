package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// MaxAgentIDLen bounds agent_id so that exposed names ({agent}__{backend}__{tool}) stay short.
const MaxAgentIDLen = 64

// Validate checks the config and names the offending field in every error. All problems
// are reported at once, joined.
func (c *Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{field}, args...)...))
	}
	a := c.Agent
	if err := checkAgentID(a.AgentID); err != nil {
		add("agent.agent_id", "%v (or set %s)", err, EnvAgentID)
	}
	if err := checkURL(a.GatewayURL, "ws", "wss"); err != nil {
		add("agent.gateway_url", "%v, like wss://hub.example.com/agent/ws (or set %s)", err, EnvGatewayURL)
	}
	if a.APIKey == "" {
		add("agent.api_key", "is required: the agent key printed by `mcp-gateway-hub agents enroll` (or set %s)", EnvAPIKey)
	} else if strings.ContainsAny(a.APIKey, " \t\r\n") {
		add("agent.api_key", "contains whitespace; copy the key again")
	}
	if a.DashboardURL != "" {
		if err := checkURL(a.DashboardURL, "http", "https"); err != nil {
			add("agent.dashboard_url", "%v", err)
		}
	}
	if err := checkProxy(a.ProxyURL); err != nil {
		add("agent.proxy_url", "%v", err)
	}
	switch strings.ToLower(a.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		add("agent.log_level", "%q is not one of debug, info, warn, error", a.LogLevel)
	}
	errs = append(errs, a.validateUpdate()...)
	errs = append(errs, c.validateBackends()...)
	if err := c.Tracing.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 && len(c.unknownKeys) > 0 {
		// A misspelt key is the likely cause of a missing setting: name it.
		errs = append(errs, fmt.Errorf("keys not understood: %s", c.DescribeUnknown()))
	}
	return errors.Join(errs...)
}

func (c *Config) validateBackends() []error {
	var errs []error
	seen := map[string]int{}
	for i := range c.Backends {
		b := &c.Backends[i]
		if err := b.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("backends[%d]: %w", i, err))
			continue
		}
		if j, dup := seen[b.Name]; dup {
			errs = append(errs, fmt.Errorf("backends[%d].name: %q is already used by backends[%d]", i, b.Name, j))
		}
		seen[b.Name] = i
	}
	return errs
}

func checkAgentID(id string) error {
	switch {
	case id == "":
		return errors.New("is required")
	case len(id) > MaxAgentIDLen:
		return fmt.Errorf("%q is longer than %d characters", id, MaxAgentIDLen)
	case strings.Contains(id, "__"):
		return fmt.Errorf("%q contains \"__\", which separates agent, backend and tool in exposed names", id)
	}
	for _, r := range id {
		ok := r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("%q may contain only letters, digits, '-' and '_'", id)
		}
	}
	return nil
}

func checkURL(raw string, schemes ...string) error {
	if raw == "" {
		return errors.New("is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	for _, s := range schemes {
		if strings.EqualFold(u.Scheme, s) {
			if u.Host == "" {
				return fmt.Errorf("%q has no host", raw)
			}
			return nil
		}
	}
	return fmt.Errorf("%q must start with %s://", raw, strings.Join(schemes, ":// or "))
}

// checkProxy accepts what the tunnel's dialer understands: empty (use HTTPS_PROXY/NO_PROXY),
// "direct" (ignore them), host:port (http), or an http, https or socks5 URL.
func checkProxy(raw string) error {
	if raw == "" || strings.EqualFold(raw, tunnel.ProxyDirect) {
		return nil
	}
	if _, err := tunnel.ProxyFunc(raw); err != nil {
		return err
	}
	if scheme, _, ok := strings.Cut(raw, "://"); ok {
		switch strings.ToLower(scheme) {
		case "http", "https", "socks5", "socks5h":
		default:
			return fmt.Errorf("scheme %q is not one of http, https, socks5", scheme)
		}
	}
	return nil
}

// ValidateBackends checks only the [[backends]] entries, for commands that edit them in a
// file whose [agent] table may not be filled in yet.
func (c *Config) ValidateBackends() error { return errors.Join(c.validateBackends()...) }

// CheckAgentID reports why id cannot be an agent id, or nil.
func CheckAgentID(id string) error { return checkAgentID(id) }
