// Package oauth is the gateway's OAuth client toward MCP servers that require authorization:
// the login flow (discovery, registration, authorization code with PKCE on a loopback
// callback), the credentials it yields, their sealed storage and their refresh.
package oauth

import (
	"errors"
	"time"
)

// ErrNeedsLogin means the server wants a token the gateway does not have (none stored, or
// the stored one was refused and could not be refreshed): an operator must log in.
var ErrNeedsLogin = errors.New("needs login")

// Credentials are what one login yields for one backend: the tokens, and what refreshing
// them takes (the token endpoint, the client, the resource). They are stored sealed.
type Credentials struct {
	// ServerURL is the backend's URL the login was for; a backend whose URL changed does
	// not use them.
	ServerURL    string    `json:"server_url"`
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`   // zero: the server gave no expires_in
	Obtained     time.Time `json:"obtained,omitzero"` // when the access token was issued to us
	TokenURL     string    `json:"token_url"`
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret,omitempty"`
	// SecretInBody sends the client secret in the form (client_secret_post) instead of
	// HTTP Basic authentication (client_secret_basic).
	SecretInBody bool     `json:"secret_in_body,omitempty"`
	Resource     string   `json:"resource,omitempty"` // RFC 8707, sent with every token request
	Scopes       []string `json:"scopes,omitempty"`
}

// refreshDue reports whether the access token should be refreshed at now: within a minute
// of its expiry, or within a third of its lifetime when that is shorter.
func (c *Credentials) refreshDue(now time.Time) bool {
	if c.Expiry.IsZero() {
		return false
	}
	margin := time.Minute
	if !c.Obtained.IsZero() {
		if third := c.Expiry.Sub(c.Obtained) / 3; third < margin {
			margin = third
		}
	}
	return !now.Add(margin).Before(c.Expiry)
}
