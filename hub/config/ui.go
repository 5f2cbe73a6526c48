package config

import (
	"fmt"
	"time"
)

// UI is the [ui] table: the web console at /ui (docs/CONSOLE.md).
type UI struct {
	// Disabled turns the console off: /ui answers 404 and the REST API ignores its cookie.
	Disabled bool `toml:"disabled"`
	// IdleTimeout ends a console session after this long without the user doing anything
	// (the pages' own polling does not count). Default 30m.
	IdleTimeout Duration `toml:"idle_timeout"`
}

// DefaultUIIdleTimeout is ui.idle_timeout's default.
const DefaultUIIdleTimeout = 30 * time.Minute

func defaultUI() UI { return UI{IdleTimeout: Duration{DefaultUIIdleTimeout}} }

func (u UI) validate() error {
	if !u.Disabled && (u.IdleTimeout.Duration < time.Minute || u.IdleTimeout.Duration > 24*time.Hour) {
		return fmt.Errorf("ui.idle_timeout %s: want between 1m and 24h", u.IdleTimeout.Duration)
	}
	return nil
}
