package config

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// OAuth is the [oauth] table: the hub as an OAuth 2.1 authorization server for its own /mcp
// (docs/OAUTH.md). On by default; API keys keep working beside it.
type OAuth struct {
	// Disable turns the authorization server off: no /.well-known metadata, no /oauth/
	// endpoints, and /mcp takes API keys only.
	Disable bool `toml:"disable"`
	// CodeTTL is how long an authorization code may wait to be exchanged (single use).
	CodeTTL Duration `toml:"code_ttl"`
	// AccessTTL is the lifetime of an access token.
	AccessTTL Duration `toml:"access_ttl"`
	// RefreshTTL is the lifetime of a refresh token; each use rotates it, and the new one
	// lives RefreshTTL again.
	RefreshTTL Duration `toml:"refresh_ttl"`
	// DisableRegistration turns dynamic client registration (RFC 7591, /oauth/register)
	// off; clients then identify with a Client ID Metadata Document (an https client_id).
	DisableRegistration bool `toml:"disable_registration"`
	// DocumentAllowPrivate lets Client ID Metadata Documents be fetched from loopback and
	// private addresses (and http://127.0.0.1): for tests and closed networks only. Off, a
	// client_id resolving to such an address is refused (SSRF protection).
	DocumentAllowPrivate bool `toml:"document_allow_private"`
	// DocumentCAFile is a PEM file of certificate authorities trusted, besides the system's,
	// when fetching Client ID Metadata Documents.
	DocumentCAFile string `toml:"document_ca_file"`
}

func defaultOAuth() OAuth {
	return OAuth{CodeTTL: Duration{time.Minute}, AccessTTL: Duration{time.Hour}, RefreshTTL: Duration{30 * 24 * time.Hour}}
}

// Validate checks the table.
func (o OAuth) Validate() error {
	var errs []error
	if d := o.CodeTTL.Duration; d < 5*time.Second || d > 10*time.Minute {
		errs = append(errs, fmt.Errorf("oauth.code_ttl %s: want between 5s and 10m (RFC 6749 advises at most 10 minutes)", d))
	}
	if d := o.AccessTTL.Duration; d < time.Minute || d > 24*time.Hour {
		errs = append(errs, fmt.Errorf("oauth.access_ttl %s: want between 1m and 24h", d))
	}
	if d := o.RefreshTTL.Duration; d < o.AccessTTL.Duration || d > 365*24*time.Hour {
		errs = append(errs, fmt.Errorf("oauth.refresh_ttl %s: want between access_ttl and 365d", d))
	}
	if o.DocumentCAFile != "" {
		if _, err := os.Stat(o.DocumentCAFile); err != nil {
			errs = append(errs, fmt.Errorf("oauth.document_ca_file: %w", err))
		}
	}
	return errors.Join(errs...)
}
