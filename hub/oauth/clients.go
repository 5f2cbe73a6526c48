package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mcp-gateway/mcp-gateway/hub/ratelimit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Bounds of client metadata, registered or fetched.
const (
	maxMetadataBytes = 16 << 10
	maxRedirectURIs  = 10
	maxURILen        = 2000
	maxNameLen       = 100
)

// ClientMetadata is what the hub reads of RFC 7591 client metadata: the members it acts on.
// Everything else a client sends is kept in the stored document but not used.
type ClientMetadata struct {
	ClientID                string   `json:"client_id,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	ClientName              string   `json:"client_name,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
}

// ParseClientMetadata reads and checks client metadata: one JSON object of at most 16 KiB
// with 1 to 10 redirect URIs the hub can send a code to (see CheckRedirectURI), grant types
// within authorization_code and refresh_token, response type code, and a public client
// (token_endpoint_auth_method none or absent: the hub issues no client secrets).
func ParseClientMetadata(b []byte) (*ClientMetadata, error) {
	if len(b) > maxMetadataBytes {
		return nil, fmt.Errorf("client metadata is %d bytes, over the limit of %d", len(b), maxMetadataBytes)
	}
	var m ClientMetadata
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("client metadata is not a JSON object of the expected shape: %w", err)
	}
	if dec.More() {
		return nil, errors.New("client metadata: more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("client metadata: trailing data after the JSON object")
	}
	if len(m.RedirectURIs) == 0 || len(m.RedirectURIs) > maxRedirectURIs {
		return nil, fmt.Errorf("redirect_uris: want 1 to %d URIs, got %d", maxRedirectURIs, len(m.RedirectURIs))
	}
	for _, u := range m.RedirectURIs {
		if err := CheckRedirectURI(u); err != nil {
			return nil, err
		}
	}
	for _, g := range m.GrantTypes {
		if g != "authorization_code" && g != "refresh_token" {
			return nil, fmt.Errorf("grant_types: %q is not supported (authorization_code, refresh_token)", g)
		}
	}
	for _, rt := range m.ResponseTypes {
		if rt != "code" {
			return nil, fmt.Errorf("response_types: %q is not supported (code)", rt)
		}
	}
	if a := m.TokenEndpointAuthMethod; a != "" && a != "none" {
		return nil, fmt.Errorf("token_endpoint_auth_method %q is not supported: the hub registers public clients only (none), which PKCE protects", a)
	}
	m.ClientName = cleanName(m.ClientName)
	return &m, nil
}

// cleanName keeps a client's self-chosen name printable and short: it is shown on the
// consent page (escaped), never trusted.
func cleanName(s string) string {
	if !utf8.ValidString(s) {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxNameLen {
		s = string([]rune(s)[:maxNameLen]) + "…"
	}
	return s
}

// CheckRedirectURI accepts a redirect URI a code may be sent to (OAuth 2.1 and RFC 8252):
// https; http to a loopback address or localhost (native apps listen there); or a private-use
// scheme of a native app (com.example.app:/cb, cursor://…). No fragment, no user info, and
// no scheme a browser runs (javascript, data, file, …).
func CheckRedirectURI(raw string) error {
	if len(raw) > maxURILen {
		return fmt.Errorf("redirect_uri is longer than %d characters", maxURILen)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("redirect_uri %q is not an absolute URI", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("redirect_uri %q has a fragment", raw)
	}
	if u.User != nil {
		return fmt.Errorf("redirect_uri %q has user info", raw)
	}
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("redirect_uri %q has no host", raw)
		}
	case "http":
		if !loopbackHost(u.Hostname()) {
			return fmt.Errorf("redirect_uri %q: http is allowed to a loopback address only; use https", raw)
		}
	case "javascript", "data", "file", "vbscript", "blob", "about", "ftp", "ws", "wss":
		return fmt.Errorf("redirect_uri %q: scheme %s is not allowed", raw, scheme)
	}
	return nil
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// redirectMatches reports whether the redirect_uri of a request is one the client
// registered: exactly, except that the port of a loopback http URI may differ (RFC 8252 7.3:
// native apps get an ephemeral port).
func redirectMatches(registered []string, got string) bool {
	if slices.Contains(registered, got) {
		return true
	}
	g, err := url.Parse(got)
	if err != nil || g.Scheme != "http" || !loopbackHost(g.Hostname()) {
		return false
	}
	for _, r := range registered {
		u, err := url.Parse(r)
		if err == nil && u.Scheme == "http" && u.Hostname() == g.Hostname() && u.Path == g.Path && u.RawQuery == g.RawQuery {
			return true
		}
	}
	return false
}

// register is RFC 7591 dynamic client registration, for public clients.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if refused := s.registers.Allow(ratelimit.Subject{Key: s.cfg.ClientAddress(r)}); refused != nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(refused.RetryAfter.Seconds())+1))
		oauthError(w, http.StatusTooManyRequests, "slow_down", fmt.Sprintf("too many registrations from this address: %d, then one a minute", RegisterBurst))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMetadataBytes+1))
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "read body: "+err.Error())
		return
	}
	m, err := ParseClientMetadata(body)
	if err != nil {
		code := "invalid_client_metadata"
		if strings.HasPrefix(err.Error(), "redirect_uri") {
			code = "invalid_redirect_uri"
		}
		oauthError(w, http.StatusBadRequest, code, err.Error())
		return
	}
	now := s.now()
	c := &store.OAuthClient{ID: random(clientPrefix), Kind: store.OAuthClientRegistered, Name: m.ClientName,
		RedirectURIs: m.RedirectURIs, Metadata: string(body), CreatedAt: now, FetchedAt: now}
	if err := s.cfg.Store.PutOAuthClient(r.Context(), c); err != nil {
		s.log.Error("oauth: register client", "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "the client could not be stored")
		return
	}
	s.log.Info("oauth: client registered", "client_id", c.ID, "name", c.Name, "redirect_uris", c.RedirectURIs)
	writeJSON(w, http.StatusCreated, map[string]any{
		"client_id": c.ID, "client_id_issued_at": now.Unix(), "client_name": m.ClientName,
		"redirect_uris": m.RedirectURIs, "grant_types": []string{"authorization_code", "refresh_token"},
		"response_types": []string{"code"}, "token_endpoint_auth_method": "none",
	})
}

// errUnknownClient: a client_id that is neither registered nor a metadata document URL.
var errUnknownClient = errors.New("unknown client_id: register it (dynamic client registration) or use an https URL of a Client ID Metadata Document")

// client resolves a client_id: a registered client, or a metadata document fetched (again,
// when the copy is older than documentMaxAge) from the client_id URL.
func (s *Server) client(ctx context.Context, id string) (*store.OAuthClient, error) {
	if id == "" {
		return nil, errors.New("client_id is missing")
	}
	if !isDocumentID(id) {
		c, err := s.cfg.Store.GetOAuthClient(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && c.Kind != store.OAuthClientRegistered) {
			return nil, errUnknownClient
		}
		return c, err
	}
	c, err := s.cfg.Store.GetOAuthClient(ctx, id)
	if err == nil && s.now().Sub(c.FetchedAt) < documentMaxAge {
		return c, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	doc, raw, ferr := s.documents.fetch(ctx, id)
	if ferr != nil {
		return nil, ferr
	}
	now := s.now()
	fresh := &store.OAuthClient{ID: id, Kind: store.OAuthClientDocument, Name: doc.ClientName,
		RedirectURIs: doc.RedirectURIs, Metadata: string(raw), CreatedAt: now, FetchedAt: now}
	if c != nil {
		fresh.CreatedAt = c.CreatedAt
	}
	if err := s.cfg.Store.PutOAuthClient(ctx, fresh); err != nil {
		return nil, err
	}
	return fresh, nil
}

// isDocumentID reports whether a client_id is a URL (a metadata document) rather than an id
// the hub issued.
func isDocumentID(id string) bool {
	return strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "http://")
}
