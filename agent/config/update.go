package config

import (
	"fmt"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// Defaults of the self-update settings.
const (
	DefaultUpdateGrace    = "2m"
	DefaultUpdateInterval = "24h"
	// MinUpdateInterval keeps a misconfigured agent from hammering its hub.
	MinUpdateInterval = time.Second
)

// Grace is UpdateGrace as a duration (Validate has checked it).
func (a Agent) Grace() time.Duration { return parseDuration(a.UpdateGrace, DefaultUpdateGrace) }

// Interval is UpdateInterval as a duration (Validate has checked it).
func (a Agent) Interval() time.Duration {
	return parseDuration(a.UpdateInterval, DefaultUpdateInterval)
}

func parseDuration(s, def string) time.Duration {
	if s == "" {
		s = def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		d, _ = time.ParseDuration(def)
	}
	return d
}

func (a Agent) validateUpdate() []error {
	var errs []error
	if a.ReleasePublicKey != "" {
		if _, err := release.ParsePublicKey(a.ReleasePublicKey); err != nil {
			errs = append(errs, fmt.Errorf("agent.release_public_key: %w", err))
		}
	}
	for _, f := range []struct {
		name, value string
		min         time.Duration
	}{{"agent.update_grace", a.UpdateGrace, 100 * time.Millisecond}, {"agent.update_interval", a.UpdateInterval, MinUpdateInterval}} {
		if f.value == "" {
			continue
		}
		d, err := time.ParseDuration(f.value)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration like 90s, 2m or 24h", f.name, f.value))
		} else if d < f.min {
			errs = append(errs, fmt.Errorf("%s: %s is shorter than %s", f.name, f.value, f.min))
		}
	}
	return errs
}
