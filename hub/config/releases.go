package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// Releases is the [releases] table: where the hub finds the agent releases it offers at
// /api/v1/agent/releases/ (docs/UPDATE.md). Both Dir and Upstream empty: the releases the hub
// built itself (`releases build`) in its data dir (docs/INSTALL.md).
type Releases struct {
	// Dir is a local directory laid out as <version>/checksums.txt, <version>/checksums.txt.sig
	// and <version>/mcp-gateway-agent_<version>_<os>_<arch>.tar.gz (.zip on Windows).
	Dir string `toml:"dir"`
	// Upstream is the base URL of a release server with the same layout, proxied by the hub:
	// <upstream>/<version>/<file> (for GitHub releases: https://github.com/ORG/REPO/releases/download).
	// Set Dir or Upstream, not both.
	Upstream string `toml:"upstream"`
	// UpstreamLatest is the URL of the newest release's checksums.txt at the upstream; the
	// newest version is read from the archive names in it. Default <upstream>/latest/checksums.txt
	// (for GitHub: https://github.com/ORG/REPO/releases/latest/download/checksums.txt).
	UpstreamLatest string `toml:"upstream_latest"`
	// PinnedVersion, when set, is the version offered instead of the newest one (v1.2.3). Pre-
	// releases are offered only when pinned.
	PinnedVersion string `toml:"pinned_version"`
	// RolloutPercent is the share of agents offered the target version, 0 to 100 (default 100).
	// An agent's place is stable: a hash of its id and the version. Agents outside the rollout
	// are offered the previous release (from Dir), or told there is no update.
	RolloutPercent int `toml:"rollout_percent"`
	// UpstreamCache is how long the upstream's newest version is remembered. Default 5m.
	UpstreamCache Duration `toml:"upstream_cache"`
}

// Duration is a time.Duration written as a string in TOML ("5m", "90s").
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	if days, ok := strings.CutSuffix(string(b), "d"); ok {
		// Whole days ("90d"), which Go durations lack and retention periods need.
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return fmt.Errorf("%q is not a number of days like 90d", b)
		}
		d.Duration = time.Duration(n) * 24 * time.Hour
		return nil
	}
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 90s, 5m or 90d", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Enabled reports whether the hub serves releases.
func (r Releases) Enabled() bool { return r.Dir != "" || r.Upstream != "" }

func defaultReleases() Releases {
	return Releases{RolloutPercent: 100, UpstreamCache: Duration{5 * time.Minute}}
}

// Validate checks the [releases] table; every error names its setting.
func (r Releases) Validate() error {
	var errs []error
	if r.Dir != "" && r.Upstream != "" {
		errs = append(errs, errors.New("releases: set dir or upstream, not both"))
	}
	for name, raw := range map[string]string{"upstream": r.Upstream, "upstream_latest": r.UpstreamLatest} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("releases.%s %q: want an http:// or https:// URL", name, raw))
		}
	}
	if r.UpstreamLatest != "" && r.Upstream == "" {
		errs = append(errs, errors.New("releases.upstream_latest is set without releases.upstream"))
	}
	if r.PinnedVersion != "" {
		if _, err := release.ParseVersion(r.PinnedVersion); err != nil {
			errs = append(errs, fmt.Errorf("releases.pinned_version: %w", err))
		}
	}
	if r.RolloutPercent < 0 || r.RolloutPercent > 100 {
		errs = append(errs, fmt.Errorf("releases.rollout_percent %d: want 0 to 100", r.RolloutPercent))
	}
	if r.UpstreamCache.Duration < 0 {
		errs = append(errs, errors.New("releases.upstream_cache is negative"))
	}
	return errors.Join(errs...)
}

// LatestURL is where the upstream's newest checksums file is fetched.
func (r Releases) LatestURL() string {
	if r.UpstreamLatest != "" {
		return r.UpstreamLatest
	}
	return strings.TrimSuffix(r.Upstream, "/") + "/latest/" + release.ChecksumsFile
}
