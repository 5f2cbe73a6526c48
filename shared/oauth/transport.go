package oauth

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// Authorizer runs a login when the server refused a request (the interactive clients: the
// conformance client). It returns once new credentials are stored in the Source's store.
type Authorizer func(ctx context.Context, req *http.Request, resp *http.Response) error

// Transport sends the backend's access token with every request. When the server answers
// 401 with a Bearer challenge (or 403 insufficient_scope), it refreshes the token and tries
// once more if it can; failing that it calls Authorize if set, else it records that the
// backend needs a login and hands the answer on.
type Transport struct {
	Base      http.RoundTripper
	Source    *Source
	Authorize Authorizer // nil in the gateway: an operator logs in with `backends login`
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, tok, err := t.send(req)
	if err != nil || !challenged(resp) {
		return resp, err
	}
	// One more try with a refreshed token, when the refused one can be refreshed.
	if tok != "" && resp.StatusCode == http.StatusUnauthorized && req.GetBody != nil {
		if c, rerr := t.Source.Refresh(req.Context(), tok); rerr == nil && c.AccessToken != tok {
			drain(resp)
			if resp, tok, err = t.send(req); err != nil || !challenged(resp) {
				return resp, err
			}
		}
	}
	reason := challengeReason(resp, tok)
	if t.Authorize == nil || (req.Body != nil && req.GetBody == nil) {
		t.Source.MarkNeedsLogin(reason)
		return resp, nil
	}
	t.Source.MarkNeedsLogin(reason)
	if err := t.Authorize(req.Context(), req, resp); err != nil { // closes resp.Body
		t.Source.setReason(reason + "; the login failed: " + err.Error())
		return nil, fmt.Errorf("authorize: %w", err)
	}
	resp, _, err = t.send(req)
	if err == nil && challenged(resp) {
		t.Source.MarkNeedsLogin(challengeReason(resp, "new"))
	}
	return resp, err
}

// send sends req with the current token (and a fresh copy of its body).
func (t *Transport) send(req *http.Request) (*http.Response, string, error) {
	tok, err := t.Source.Token(req.Context())
	if err != nil {
		return nil, "", err
	}
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		if r.Body, err = req.GetBody(); err != nil {
			return nil, "", err
		}
	}
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := t.Base.RoundTrip(r)
	return resp, tok, err
}

func drain(resp *http.Response) {
	resp.Body.Close()
}

// challenged reports whether resp asks for (other) authorization: 401 with a Bearer
// challenge, or 403 with error="insufficient_scope" (step-up).
func challenged(resp *http.Response) bool {
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		return false
	}
	cs, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		return false
	}
	for _, c := range cs {
		if !strings.EqualFold(c.Scheme, "bearer") {
			continue
		}
		if resp.StatusCode == http.StatusUnauthorized || c.Params["error"] == "insufficient_scope" {
			return true
		}
	}
	return false
}

// challengeReason says in words why the server refused.
func challengeReason(resp *http.Response, tok string) string {
	cs, _ := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	scope := ""
	for _, c := range cs {
		if strings.EqualFold(c.Scheme, "bearer") && c.Params["scope"] != "" {
			scope = c.Params["scope"]
		}
	}
	var msg string
	switch {
	case resp.StatusCode == http.StatusForbidden:
		msg = "the server wants more scopes"
	case tok == "":
		msg = "the server requires OAuth authorization"
	default:
		msg = "the server refused the access token"
	}
	if scope != "" {
		msg += " (scope " + scope + ")"
	}
	return msg
}
