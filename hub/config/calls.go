package config

import (
	"errors"
	"fmt"
	"time"
)

// Calls is the [calls] table: the bounds of every call the hub forwards to a backend
// (docs/LIMITS.md, section Backends). A backend's own timeout, max_concurrent and max_queue
// ([[backends]] here or in an agent's config.toml) override the first three.
type Calls struct {
	// Timeout is the deadline of one call, queue wait included. Default "5m".
	Timeout Duration `toml:"timeout"`
	// MaxConcurrent is how many calls may run on one backend at once. Default 64.
	MaxConcurrent int `toml:"max_concurrent"`
	// MaxQueue is how many more calls may wait for one of those slots; beyond it a call
	// fails at once (backend busy). Default 256; 0 means no waiting.
	MaxQueue int `toml:"max_queue"`
	// BreakerFailures is how many consecutive failures (transport errors, timeouts, backend
	// gone — not the tool's own error answers) open a backend's circuit breaker. Default 5.
	BreakerFailures int `toml:"breaker_failures"`
	// BreakerCooldown is how long an open breaker refuses calls before it lets one probe
	// through. Default "30s".
	BreakerCooldown Duration `toml:"breaker_cooldown"`
}

func defaultCalls() Calls {
	return Calls{Timeout: Duration{5 * time.Minute}, MaxConcurrent: 64, MaxQueue: 256,
		BreakerFailures: 5, BreakerCooldown: Duration{30 * time.Second}}
}

// Validate checks the [calls] table.
func (c Calls) Validate() error {
	var errs []error
	if c.Timeout.Duration < time.Millisecond {
		errs = append(errs, fmt.Errorf("calls.timeout %s: want at least 1ms", c.Timeout))
	}
	if c.MaxConcurrent < 1 {
		errs = append(errs, fmt.Errorf("calls.max_concurrent %d: want at least 1", c.MaxConcurrent))
	}
	if c.MaxQueue < 0 {
		errs = append(errs, fmt.Errorf("calls.max_queue %d is negative", c.MaxQueue))
	}
	if c.BreakerFailures < 1 {
		errs = append(errs, fmt.Errorf("calls.breaker_failures %d: want at least 1", c.BreakerFailures))
	}
	if c.BreakerCooldown.Duration < time.Millisecond {
		errs = append(errs, fmt.Errorf("calls.breaker_cooldown %s: want at least 1ms", c.BreakerCooldown))
	}
	return errors.Join(errs...)
}
