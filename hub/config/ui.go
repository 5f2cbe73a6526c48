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
	// MaxAge ends a console session this long after its sign-in, however active; sessions are
	// kept in the database, so they outlive a hub restart and work on every hub. Default 12h.
	MaxAge Duration `toml:"max_age"`
}

// DefaultUIIdleTimeout is ui.idle_timeout's default.
const DefaultUIIdleTimeout = 30 * time.Minute

// DefaultUIMaxAge is ui.max_age's default.
const DefaultUIMaxAge = 12 * time.Hour

func defaultUI() UI {
	return UI{IdleTimeout: Duration{DefaultUIIdleTimeout}, MaxAge: Duration{DefaultUIMaxAge}}
}

func (u UI) validate() error {
	if !u.Disabled && (u.IdleTimeout.Duration < time.Minute || u.IdleTimeout.Duration > 24*time.Hour) {
		return fmt.Errorf("ui.idle_timeout %s: want between 1m and 24h", u.IdleTimeout.Duration)
	}
	if !u.Disabled && (u.MaxAge.Duration < u.IdleTimeout.Duration || u.MaxAge.Duration > 30*24*time.Hour) {
		return fmt.Errorf("ui.max_age %s: want at least ui.idle_timeout (%s) and at most 720h", u.MaxAge.Duration, u.IdleTimeout.Duration)
	}
	return nil
}
