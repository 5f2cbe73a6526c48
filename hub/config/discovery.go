package config

import (
	"errors"
	"fmt"
	"sort"
)

// Discovery is the [discovery] table: which clients are served the discovery surface, a
// few tools that search, describe and call the catalog instead of every tool in
// tools/list (docs/DISCOVERY.md). A key's own surface (keys create --surface) and an
// endpoint URL's ?surface= come before these settings.
type Discovery struct {
	// Surface is the surface of /mcp (and /sse) for callers that choose none: "full"
	// (default: every tool the caller may call) or "discovery".
	Surface string `toml:"surface"`
	// Applications maps an application (a key's --application) to its surface, e.g.
	// { "claude-desktop" = "discovery" }; it comes after the key's own and before surface.
	Applications map[string]string `toml:"applications"`
}

// Validate checks the [discovery] table.
func (d Discovery) Validate() error {
	var errs []error
	if d.Surface != "" && !validSurface(d.Surface) {
		errs = append(errs, fmt.Errorf("discovery.surface %q: want \"full\" or \"discovery\"", d.Surface))
	}
	apps := make([]string, 0, len(d.Applications))
	for a := range d.Applications {
		apps = append(apps, a)
	}
	sort.Strings(apps)
	for _, a := range apps {
		if s := d.Applications[a]; !validSurface(s) {
			errs = append(errs, fmt.Errorf("discovery.applications.%s %q: want \"full\" or \"discovery\"", a, s))
		}
	}
	return errors.Join(errs...)
}

func validSurface(s string) bool { return s == "full" || s == "discovery" }
