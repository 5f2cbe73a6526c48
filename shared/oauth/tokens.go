package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Source hands out one backend's access token, refreshing it before it expires and saving
// what the refresh returns. Safe for concurrent use.
type Source struct {
	backend, serverURL string
	store              Store
	client             *http.Client
	now                func() time.Time

	mu    sync.Mutex
	creds *Credentials // loaded lazily; nil: none usable
	// refused is the Obtained stamp of credentials the server or the token endpoint refused:
	// they are not used again, and a login's new ones (another stamp) are.
	refused    time.Time
	needsLogin string // why a login is needed; "" when not known to be
}

// SourceConfig configures a Source.
type SourceConfig struct {
	Backend   string // the name credentials are stored under
	ServerURL string // the backend's URL; credentials for another URL are not used
	Store     Store
	Client    *http.Client     // for the token endpoint; nil: http.DefaultClient
	Now       func() time.Time // nil: time.Now; tests move it to a token's expiry
}

// NewSource returns the token source of one backend.
func NewSource(cfg SourceConfig) *Source {
	s := &Source{backend: cfg.Backend, serverURL: cfg.ServerURL, store: cfg.Store, client: cfg.Client, now: cfg.Now}
	if s.client == nil {
		s.client = http.DefaultClient
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// NeedsLogin says why the backend needs a login, "" when it is not known to.
func (s *Source) NeedsLogin() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.needsLogin
}

// MarkNeedsLogin records that the server refused the token it was sent ("" when none was):
// the current credentials are not used again.
func (s *Source) MarkNeedsLogin(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds == nil && s.needsLogin != "" {
		return // a request sent without a token: the first reason is the one to show
	}
	if s.creds != nil {
		s.refused = s.creds.Obtained
		s.creds = nil
	}
	s.needsLogin = reason
}

func (s *Source) setReason(reason string) {
	s.mu.Lock()
	s.needsLogin = reason
	s.mu.Unlock()
}

// LoginAvailable reports whether the store holds credentials other than those refused: a
// login happened since, and connecting again is worth it.
func (s *Source) LoginAvailable(ctx context.Context) bool {
	c, err := s.load(ctx)
	return err == nil && c != nil
}

// load returns the stored credentials when they are usable: for this URL, not refused.
func (s *Source) load(ctx context.Context) (*Credentials, error) {
	c, err := s.store.Load(ctx, s.backend)
	if err != nil || c == nil {
		return nil, err
	}
	s.mu.Lock()
	refused := s.refused
	s.mu.Unlock()
	if c.ServerURL != s.serverURL || c.AccessToken == "" || (!refused.IsZero() && c.Obtained.Equal(refused)) {
		return nil, nil
	}
	return c, nil
}

// Token returns the access token to send, refreshing it first when it is due; "" when there
// are no credentials (the server then says whether it wants one). A refresh the token
// endpoint refuses is ErrNeedsLogin.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	c := s.creds
	s.mu.Unlock()
	if c == nil {
		var err error
		if c, err = s.load(ctx); err != nil {
			return "", fmt.Errorf("oauth credentials of %q: %w", s.backend, err)
		}
		if c == nil {
			return "", nil
		}
		s.mu.Lock()
		s.creds, s.needsLogin = c, ""
		s.mu.Unlock()
	}
	if !c.refreshDue(s.now()) {
		return c.AccessToken, nil
	}
	c, err := s.Refresh(ctx, c.AccessToken)
	if err != nil {
		return "", err
	}
	return c.AccessToken, nil
}

// Refresh exchanges the refresh token for a new access token, unless another caller did
// already (the current token is no longer stale). The new credentials are saved.
func (s *Source) Refresh(ctx context.Context, stale string) (*Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.creds
	if c == nil {
		return nil, fmt.Errorf("backend %q: %w", s.backend, ErrNeedsLogin)
	}
	if c.AccessToken != stale {
		return c, nil
	}
	if c.RefreshToken == "" {
		s.refusedLocked("the access token expired and the server gave no refresh token")
		return nil, fmt.Errorf("backend %q: %w (%s)", s.backend, ErrNeedsLogin, s.needsLogin)
	}
	next, err := refresh(ctx, s.client, c, s.now())
	if err != nil {
		if te, ok := err.(*TokenError); ok && te.Refused() {
			s.refusedLocked("the refresh token was refused: " + te.Error())
			return nil, fmt.Errorf("backend %q: %w (%s)", s.backend, ErrNeedsLogin, s.needsLogin)
		}
		return nil, fmt.Errorf("backend %q: refresh the access token: %w", s.backend, err)
	}
	if err := s.store.Save(ctx, s.backend, next); err != nil {
		return nil, fmt.Errorf("backend %q: save the refreshed token: %w", s.backend, err)
	}
	s.creds = next
	return next, nil
}

func (s *Source) refusedLocked(reason string) {
	s.refused = s.creds.Obtained
	s.creds = nil
	s.needsLogin = reason
}

// TokenError is an error response of a token endpoint (RFC 6749 section 5.2).
type TokenError struct {
	Status      int
	Code        string // error, such as invalid_grant
	Description string // error_description
}

func (e *TokenError) Error() string {
	msg := fmt.Sprintf("token endpoint answered %d", e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Refused reports whether the grant or the client was refused, rather than the endpoint
// failing: only a new login helps.
func (e *TokenError) Refused() bool {
	switch e.Code {
	case "invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope":
		return true
	}
	return e.Status == http.StatusBadRequest || e.Status == http.StatusUnauthorized
}

// refresh runs the refresh_token grant, with the resource (RFC 8707) and the client's
// authentication as the login established them.
func refresh(ctx context.Context, client *http.Client, c *Credentials, now time.Time) (*Credentials, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.RefreshToken}}
	if c.Resource != "" {
		form.Set("resource", c.Resource)
	}
	basic := c.ClientSecret != "" && !c.SecretInBody
	if !basic {
		form.Set("client_id", c.ClientID)
		if c.ClientSecret != "" {
			form.Set("client_secret", c.ClientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret)) // RFC 6749 2.3.1
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	tok, err := ParseTokenResponse(resp.StatusCode, body)
	if err != nil {
		return nil, err
	}
	next := *c
	next.AccessToken, next.TokenType, next.Obtained = tok.AccessToken, tok.TokenType, now
	next.Expiry = time.Time{}
	if tok.ExpiresIn > 0 {
		next.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if tok.RefreshToken != "" { // rotated; otherwise the old one stays valid
		next.RefreshToken = tok.RefreshToken
	}
	if tok.Scope != "" {
		next.Scopes = strings.Fields(tok.Scope)
	}
	return &next, nil
}

// TokenResponse is a token endpoint's successful answer (RFC 6749 section 5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// ParseTokenResponse reads a token endpoint's answer: the token, or a *TokenError.
func ParseTokenResponse(status int, body []byte) (*TokenResponse, error) {
	if status != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(body, &e) // a body that is not JSON still is an error of this status
		return nil, &TokenError{Status: status, Code: e.Error, Description: e.Description}
	}
	var t TokenResponse
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("token endpoint answer: %w", err)
	}
	if t.AccessToken == "" {
		return nil, fmt.Errorf("token endpoint answer has no access_token")
	}
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "bearer") {
		return nil, fmt.Errorf("token endpoint answer: token_type %q is not Bearer", t.TokenType)
	}
	if t.ExpiresIn < 0 || t.ExpiresIn > 10*365*24*3600 {
		return nil, fmt.Errorf("token endpoint answer: expires_in %d is out of range", t.ExpiresIn)
	}
	return &t, nil
}
