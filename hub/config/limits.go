package config

import (
	"errors"
	"fmt"
	"time"
)

// Limits is the [limits] table: the bounds of the hub's front door — HTTP connections,
// MCP sessions and listen streams, and request rates (docs/LIMITS.md, "Connections,
// sessions and rates"). A cap or rate of 0 turns that bound off.
type Limits struct {
	// MaxConnections caps the hub's open TCP connections (clients, agents' tunnels, API
	// callers). At the cap the oldest quiet connection (idle keep-alive, or new and silent)
	// of the address holding the most is closed to make room; with none quiet the new one is
	// refused. Default 10000.
	MaxConnections int `toml:"max_connections"`
	// MaxConnectionsPerAddress caps the open connections from one client IP address, with
	// the same eviction. Default 1000; behind a reverse proxy every connection comes from
	// the proxy: set 0 there (the proxy bounds its clients).
	MaxConnectionsPerAddress int `toml:"max_connections_per_address"`
	// ReadHeaderTimeout bounds reading a request's headers. Default 10s.
	ReadHeaderTimeout Duration `toml:"read_header_timeout"`
	// ReadTimeout bounds reading a request's body, from when its handler starts. Requests
	// without a body (SSE GET streams, the agents' WebSocket) are not affected. Default 60s.
	ReadTimeout Duration `toml:"read_timeout"`
	// IdleTimeout closes a keep-alive connection idle for this long. Default 120s.
	IdleTimeout Duration `toml:"idle_timeout"`

	// MaxSessionsPerKey caps the open session-based MCP sessions (Streamable HTTP and
	// HTTP+SSE) of one key. Default 1000.
	MaxSessionsPerKey int `toml:"max_sessions_per_key"`
	// MaxListensPerKey caps the open subscriptions/listen streams of one key. Default 100.
	MaxListensPerKey int `toml:"max_listens_per_key"`
	// SessionIdle ends a session with no open stream after this long without a request.
	// Default 1h.
	SessionIdle Duration `toml:"session_idle"`
	// SessionIdleUnused ends sooner a session that made no request after initialize and
	// never opened its stream. Default 5m.
	SessionIdleUnused Duration `toml:"session_idle_unused"`

	// KeyRate is the sustained requests per second of one key (or of one user signed in
	// with a token), on /mcp and /api/v1 together. Anonymous callers (anonymous_role, local
	// only) are not rate limited. Default 100.
	KeyRate float64 `toml:"key_rate"`
	// KeyBurst is how many requests a key may make at once above its rate. Default 200.
	KeyBurst int `toml:"key_burst"`
	// ApplicationRate is the sustained requests per second of all keys of one application
	// together. Default 500.
	ApplicationRate float64 `toml:"application_rate"`
	// ApplicationBurst is an application's burst. Default 1000.
	ApplicationBurst int `toml:"application_burst"`
	// KeyRates overrides the rate of single keys, by key id ([limits.key_rates.<key id>]).
	KeyRates map[string]Rate `toml:"key_rates"`
	// ApplicationRates overrides the rate of single applications, by name.
	ApplicationRates map[string]Rate `toml:"application_rates"`

	// AgentHandshakesPerSecond is how many agent tunnel handshakes may start per second;
	// MaxConcurrentAgentHandshakes how many may be in progress at once (upgrade, hello,
	// registration, welcome). An agent over either gets 503 with Retry-After before its
	// WebSocket upgrade, and comes back then: a reconnect storm after a hub restart is taken
	// in at this pace. Defaults 200 and 100.
	AgentHandshakesPerSecond     float64 `toml:"agent_handshakes_per_second"`
	MaxConcurrentAgentHandshakes int     `toml:"max_concurrent_agent_handshakes"`
}

// Rate is one override of a rate limit: requests per second and burst. Rate 0 is no limit.
type Rate struct {
	// Rate is the sustained requests per second; 0 is no limit.
	Rate float64 `toml:"rate"`
	// Burst is how many requests may come at once above the rate.
	Burst int `toml:"burst"`
}

func defaultLimits() Limits {
	return Limits{
		MaxConnections: 10000, MaxConnectionsPerAddress: 1000,
		ReadHeaderTimeout: Duration{10 * time.Second}, ReadTimeout: Duration{time.Minute},
		IdleTimeout:       Duration{2 * time.Minute},
		MaxSessionsPerKey: 1000, MaxListensPerKey: 100,
		SessionIdle: Duration{time.Hour}, SessionIdleUnused: Duration{5 * time.Minute},
		KeyRate: 100, KeyBurst: 200, ApplicationRate: 500, ApplicationBurst: 1000,
		AgentHandshakesPerSecond: 200, MaxConcurrentAgentHandshakes: 100,
	}
}

// Validate checks the [limits] table; every error names its setting.
func (l Limits) Validate() error {
	var errs []error
	for name, v := range map[string]int{
		"max_connections": l.MaxConnections, "max_connections_per_address": l.MaxConnectionsPerAddress,
		"max_sessions_per_key": l.MaxSessionsPerKey, "max_listens_per_key": l.MaxListensPerKey,
		"max_concurrent_agent_handshakes": l.MaxConcurrentAgentHandshakes,
	} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("limits.%s %d is negative (0 turns the cap off)", name, v))
		}
	}
	if l.MaxConnections > 0 && l.MaxConnectionsPerAddress > l.MaxConnections {
		errs = append(errs, fmt.Errorf("limits.max_connections_per_address %d is above limits.max_connections %d",
			l.MaxConnectionsPerAddress, l.MaxConnections))
	}
	for name, d := range map[string]Duration{
		"read_header_timeout": l.ReadHeaderTimeout, "read_timeout": l.ReadTimeout, "idle_timeout": l.IdleTimeout,
		"session_idle": l.SessionIdle, "session_idle_unused": l.SessionIdleUnused,
	} {
		if d.Duration <= 0 {
			errs = append(errs, fmt.Errorf("limits.%s %s: want a positive duration like 30s", name, d))
		}
	}
	if l.SessionIdleUnused.Duration > l.SessionIdle.Duration {
		errs = append(errs, fmt.Errorf("limits.session_idle_unused %s is longer than limits.session_idle %s", l.SessionIdleUnused, l.SessionIdle))
	}
	if l.AgentHandshakesPerSecond < 0 {
		errs = append(errs, fmt.Errorf("limits.agent_handshakes_per_second %g is negative (0 turns the limit off)", l.AgentHandshakesPerSecond))
	}
	errs = append(errs, checkRate("limits.key_rate", Rate{l.KeyRate, l.KeyBurst}))
	errs = append(errs, checkRate("limits.application_rate", Rate{l.ApplicationRate, l.ApplicationBurst}))
	for id, r := range l.KeyRates {
		errs = append(errs, checkRate(fmt.Sprintf("limits.key_rates.%q", id), r))
	}
	for app, r := range l.ApplicationRates {
		errs = append(errs, checkRate(fmt.Sprintf("limits.application_rates.%q", app), r))
	}
	return errors.Join(errs...)
}

// checkRate wants a rate ≥ 0 and, when the rate is on, a burst of at least 1.
func checkRate(name string, r Rate) error {
	switch {
	case r.Rate < 0:
		return fmt.Errorf("%s %g is negative (0 turns the limit off)", name, r.Rate)
	case r.Rate > 0 && r.Burst < 1:
		return fmt.Errorf("%s %g has burst %d: want a burst of at least 1", name, r.Rate, r.Burst)
	}
	return nil
}
