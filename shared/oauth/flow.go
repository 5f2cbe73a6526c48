package oauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"
)

// ErrNoLoginNeeded: the server answered without asking for authorization.
var ErrNoLoginNeeded = errors.New("the server does not ask for authorization")

// FlowTimeout bounds a login from its start to the code's exchange: the operator's time in
// the browser.
const FlowTimeout = 10 * time.Minute

// FlowConfig describes one login to one MCP server.
type FlowConfig struct {
	ServerURL string
	// Headers are the backend's configured headers, sent with the probe that fetches the
	// server's challenge.
	Headers map[string]string
	// How the gateway identifies itself to the authorization server, tried in this order:
	// a Client ID Metadata Document (an https URL, when the server supports them), a client
	// registered beforehand (ClientID, with ClientSecret for a confidential client), dynamic
	// client registration (RFC 7591).
	ClientMetadataURL        string
	ClientID, ClientSecret   string
	ClientName               string   // for dynamic registration; default "mcp-gateway"
	Scopes                   []string // requested instead of those the server names
	RedirectURL              string   // the loopback callback (Callback.URL)
	HTTPClient               *http.Client
	AcceptUnadvertisedIssuer bool
}

// Flow is one login in progress: Start found the authorization URL, Finish exchanges the
// code the callback received.
type Flow struct {
	cancel   context.CancelFunc
	urlCh    chan string
	results  chan *auth.AuthorizationResult
	done     chan error
	creds    *Credentials // set by capture before done
	cfg      FlowConfig
	resource string
}

// Start probes the server for its challenge and runs discovery and client registration;
// it returns when the authorization URL is known. Without a challenge it is ErrNoLoginNeeded.
func Start(ctx context.Context, cfg FlowConfig) (*Flow, string, error) {
	req, resp, err := probe(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return StartFrom(cfg, req, resp)
}

// StartFrom is Start with the server's refusal already at hand (req and its response resp,
// whose body it closes).
func StartFrom(cfg FlowConfig, req *http.Request, resp *http.Response) (*Flow, string, error) {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.ClientName == "" {
		cfg.ClientName = "mcp-gateway"
	}
	f := &Flow{urlCh: make(chan string, 1), results: make(chan *auth.AuthorizationResult, 1), done: make(chan error, 1), cfg: cfg}
	hc := &auth.AuthorizationCodeHandlerConfig{
		RedirectURL:              cfg.RedirectURL,
		AuthorizationCodeFetcher: f.fetch,
		NewTokenSource:           f.capture,
		Client:                   cfg.HTTPClient,
		RequestRefreshToken:      true,
		AcceptUnadvertisedIss:    cfg.AcceptUnadvertisedIssuer,
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			RedirectURIs: []string{cfg.RedirectURL}, ClientName: cfg.ClientName,
			GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		}},
	}
	if cfg.ClientMetadataURL != "" {
		hc.ClientIDMetadataDocumentConfig = &auth.ClientIDMetadataDocumentConfig{URL: cfg.ClientMetadataURL}
	}
	if cfg.ClientID != "" {
		hc.PreregisteredClient = &oauthex.ClientCredentials{ClientID: cfg.ClientID}
		if cfg.ClientSecret != "" {
			hc.PreregisteredClient.ClientSecretAuth = &oauthex.ClientSecretAuth{ClientSecret: cfg.ClientSecret}
		}
	}
	if len(cfg.Scopes) > 0 {
		hc.ScopeFilter = func([]string) []string { return cfg.Scopes }
	}
	h, err := auth.NewAuthorizationCodeHandler(hc)
	if err != nil {
		resp.Body.Close()
		return nil, "", fmt.Errorf("oauth client: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), FlowTimeout)
	f.cancel = cancel
	go func() { f.done <- h.Authorize(ctx, req, resp) }()
	select {
	case u := <-f.urlCh:
		return f, u, nil
	case err := <-f.done:
		cancel()
		if err == nil {
			err = errors.New("authorization ended without an authorization URL")
		}
		return nil, "", fmt.Errorf("login to %s: %w", cfg.ServerURL, err)
	}
}

// fetch is go-sdk's AuthorizationCodeFetcher: it hands the URL to Start and waits for
// Finish.
func (f *Flow) fetch(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
	if u, err := url.Parse(args.URL); err == nil {
		f.resource = u.Query().Get("resource")
	}
	f.urlCh <- args.URL
	select {
	case r := <-f.results:
		return r, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("no authorization code within %s", FlowTimeout)
	}
}

// capture is go-sdk's NewTokenSource hook: the exchanged token and the client it took.
func (f *Flow) capture(_ context.Context, cfg *oauth2.Config, tok *oauth2.Token) (oauth2.TokenSource, error) {
	now := time.Now()
	c := &Credentials{ServerURL: f.cfg.ServerURL, AccessToken: tok.AccessToken, TokenType: tok.TokenType,
		RefreshToken: tok.RefreshToken, Expiry: tok.Expiry, Obtained: now, TokenURL: cfg.Endpoint.TokenURL,
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, SecretInBody: cfg.Endpoint.AuthStyle == oauth2.AuthStyleInParams,
		Resource: f.resource, Scopes: cfg.Scopes}
	if tok.ExpiresIn > 0 {
		c.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		c.Scopes = strings.Fields(s)
	}
	f.creds = c
	return oauth2.StaticTokenSource(tok), nil
}

// Finish hands the callback's result to the flow and returns the credentials once the code
// is exchanged.
func (f *Flow) Finish(ctx context.Context, r CallbackResult) (*Credentials, error) {
	defer f.cancel()
	if r.Error != "" {
		return nil, fmt.Errorf("the authorization server refused: %s", r.Error)
	}
	f.results <- &auth.AuthorizationResult{Code: r.Code, State: r.State, Iss: r.Iss}
	select {
	case err := <-f.done:
		if err != nil {
			return nil, fmt.Errorf("login to %s: %w", f.cfg.ServerURL, err)
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.creds == nil {
		return nil, errors.New("login ended without a token")
	}
	return f.creds, nil
}

// Cancel abandons the flow.
func (f *Flow) Cancel() { f.cancel() }

// probe sends an initialize without a token and returns the server's refusal.
func probe(ctx context.Context, cfg FlowConfig) (*http.Request, *http.Response, error) {
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcp-gateway","version":"login"}}}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.ServerURL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("login to %s: %w", cfg.ServerURL, err)
	}
	if !challenged(resp) {
		resp.Body.Close()
		if resp.StatusCode < 300 {
			return nil, nil, ErrNoLoginNeeded
		}
		return nil, nil, fmt.Errorf("login to %s: the server answered %s without a Bearer challenge", cfg.ServerURL, resp.Status)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return req, resp, nil
}
