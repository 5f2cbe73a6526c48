package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// authParams are the parameters of an authorization request, in the query (GET) or carried
// through the sign-in form (POST).
var authParams = []string{"response_type", "client_id", "redirect_uri", "state", "code_challenge",
	"code_challenge_method", "resource", "scope"}

// AuthRequest is an authorization request as sent.
type AuthRequest struct {
	ResponseType, ClientID, RedirectURI, State, Challenge, Method, Resource, Scope string
}

// ParseAuthRequest reads the parameters of an authorization request. A parameter given twice
// is an error (RFC 6749 3.1), as is one over 2000 bytes.
func ParseAuthRequest(v url.Values) (AuthRequest, error) {
	get := map[string]string{}
	for _, name := range authParams {
		vs := v[name]
		if len(vs) > 1 {
			return AuthRequest{}, fmt.Errorf("parameter %s is given %d times", name, len(vs))
		}
		if len(vs) == 1 {
			if len(vs[0]) > maxURILen {
				return AuthRequest{}, fmt.Errorf("parameter %s is longer than %d bytes", name, maxURILen)
			}
			get[name] = vs[0]
		}
	}
	return AuthRequest{ResponseType: get["response_type"], ClientID: get["client_id"], RedirectURI: get["redirect_uri"],
		State: get["state"], Challenge: get["code_challenge"], Method: get["code_challenge_method"],
		Resource: get["resource"], Scope: get["scope"]}, nil
}

// values is the request as form fields, for the sign-in form to carry.
func (a AuthRequest) values() url.Values {
	v := url.Values{}
	for name, val := range map[string]string{"response_type": a.ResponseType, "client_id": a.ClientID,
		"redirect_uri": a.RedirectURI, "state": a.State, "code_challenge": a.Challenge,
		"code_challenge_method": a.Method, "resource": a.Resource, "scope": a.Scope} {
		if val != "" {
			v.Set(name, val)
		}
	}
	return v
}

// authFailure is a refused authorization request. Before the client and its redirect_uri are
// known good, it is shown to the user (never redirected: an open redirector); after, it goes
// back to the client as error and error_description.
type authFailure struct {
	redirect bool
	code     string // the OAuth error code
	desc     string
}

// checked is an authorization request found valid.
type checked struct {
	req         AuthRequest
	client      *store.OAuthClient
	redirectURI string
	resource    string
	issuer      string
}

// check validates an authorization request in the order that decides how to answer: the
// client and redirect_uri first, then the rest.
func (s *Server) check(ctx context.Context, r *http.Request, a AuthRequest) (*checked, *authFailure) {
	iss, err := s.issuer(r)
	if err != nil {
		return nil, &authFailure{code: "invalid_request", desc: err.Error()}
	}
	c, err := s.client(ctx, a.ClientID)
	if err != nil {
		s.log.Info("oauth: authorization request with an unusable client_id", "client_id", a.ClientID, "err", err)
		return nil, &authFailure{code: "invalid_client", desc: err.Error()}
	}
	redirect := a.RedirectURI
	if redirect == "" {
		if len(c.RedirectURIs) != 1 {
			return nil, &authFailure{code: "invalid_request", desc: "redirect_uri is missing and the client registered several"}
		}
		redirect = c.RedirectURIs[0]
	}
	if !redirectMatches(c.RedirectURIs, redirect) || CheckRedirectURI(redirect) != nil {
		return nil, &authFailure{code: "invalid_request", desc: "redirect_uri " + redirect + " is not one the client registered"}
	}
	ok := &checked{req: a, client: c, redirectURI: redirect, issuer: iss, resource: iss + ResourcePath}
	fail := func(code, desc string) (*checked, *authFailure) {
		return ok, &authFailure{redirect: true, code: code, desc: desc}
	}
	switch {
	case a.ResponseType != "code":
		return fail("unsupported_response_type", "response_type must be code")
	case a.Challenge == "":
		return fail("invalid_request", "code_challenge is missing: PKCE (S256) is required")
	case a.Method != "S256":
		return fail("invalid_request", "code_challenge_method must be S256")
	case !validChallenge(a.Challenge):
		return fail("invalid_request", "code_challenge must be 43 characters of base64url (a SHA-256)")
	case a.Resource != "" && a.Resource != ok.resource:
		return fail("invalid_target", "resource "+a.Resource+" is not served by this hub; its resource is "+ok.resource)
	}
	for _, sc := range strings.Fields(a.Scope) {
		if sc != Scope {
			return fail("invalid_scope", "scope "+sc+" is unknown; this hub grants "+Scope)
		}
	}
	return ok, nil
}

// validChallenge: an S256 challenge is the unpadded base64url of 32 bytes.
func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// VerifyPKCE reports whether verifier (43 to 128 unreserved characters, RFC 7636) hashes to
// challenge under S256.
func VerifyPKCE(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for i := 0; i < len(verifier); i++ {
		c := verifier[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// csrfCookie holds a random value; the form carries its HMAC, so a page elsewhere can
// neither read nor forge the pair.
const csrfCookie = "mcpgw_oauth_csrf"

func (s *Server) csrfToken(cookie string) string {
	m := hmac.New(sha256.New, s.csrfKey[:])
	m.Write([]byte(cookie))
	return hex.EncodeToString(m.Sum(nil))
}

// ensureCSRF returns the form token for this browser, setting its cookie if it has none.
func (s *Server) ensureCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return s.csrfToken(c.Value)
	}
	v := random("")
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/oauth/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return s.csrfToken(v)
}

func (s *Server) csrfOK(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	return hmac.Equal([]byte(s.csrfToken(c.Value)), []byte(r.PostFormValue("csrf")))
}

// authorizeGet shows the sign-in and consent page for a valid request.
func (s *Server) authorizeGet(w http.ResponseWriter, r *http.Request) {
	a, err := ParseAuthRequest(r.URL.Query())
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, err.Error())
		return
	}
	c, fail := s.check(r.Context(), r, a)
	if fail != nil {
		s.refuse(w, r, c, fail)
		return
	}
	s.consentPage(w, r, c, http.StatusOK, "", "")
}

// authorizePost takes the sign-in form: deny, or a password that signs the user in and
// allows the client.
func (s *Server) authorizePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "unreadable form: "+err.Error())
		return
	}
	if !s.csrfOK(r) || !s.sameOrigin(r) {
		s.errorPage(w, http.StatusForbidden, "this form was not sent from this hub's sign-in page (CSRF check failed): open the sign-in link again")
		return
	}
	a, err := ParseAuthRequest(r.PostForm)
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, err.Error())
		return
	}
	c, fail := s.check(r.Context(), r, a)
	if fail != nil {
		s.refuse(w, r, c, fail)
		return
	}
	if r.PostFormValue("action") != "allow" {
		s.log.Info("oauth: the user denied a client", "client_id", c.client.ID)
		s.record(r, ActionDeny, "", r.PostFormValue("username"), c.client.ID, "denied", "the user denied the request")
		s.refuse(w, r, c, &authFailure{redirect: true, code: "access_denied", desc: "the user denied the request"})
		return
	}
	name := r.PostFormValue("username")
	u, err := s.cfg.Passwords.CheckPassword(r.Context(), name, r.PostFormValue("password"), s.cfg.ClientAddress(r))
	if err != nil {
		msg := "Wrong user name or password."
		var locked *auth.LockedError
		switch {
		case errors.As(err, &locked):
			msg = "Too many failed sign-ins: locked until " + locked.Until.UTC().Format("15:04 UTC") + "."
		case errors.Is(err, auth.ErrUserDisabled):
			msg = "This user is disabled."
		case !errors.Is(err, auth.ErrInvalidCredentials):
			s.log.Error("oauth: sign-in", "err", err)
			msg = "The sign-in failed on the hub's side; try again."
		}
		s.record(r, ActionAuthorize, "", name, c.client.ID, "error", err.Error())
		s.consentPage(w, r, c, http.StatusUnauthorized, msg, name)
		return
	}
	code := random(codePrefix)
	rec := &store.OAuthCode{Hash: hash(code), ClientID: c.client.ID, UserID: u.ID, RedirectURI: c.redirectURI,
		Challenge: a.Challenge, Resource: c.resource, Scope: Scope, GrantID: random("grant_")[:32],
		ExpiresAt: s.now().Add(s.cfg.CodeTTL)}
	if err := s.cfg.Store.CreateOAuthCode(r.Context(), rec); err != nil {
		s.log.Error("oauth: store code", "err", err)
		s.refuse(w, r, c, &authFailure{redirect: true, code: "server_error", desc: "the code could not be stored"})
		return
	}
	s.log.Info("oauth: client allowed", "user", u.Name, "client_id", c.client.ID, "grant", rec.GrantID)
	s.record(r, ActionAuthorize, u.ID, u.Name, c.client.ID, "ok", "")
	s.redirect(w, r, c, url.Values{"code": {code}})
}

// sameOrigin refuses a form whose Origin (when the browser sends one) is not the hub's.
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true // the SameSite cookie and its HMAC carry the check
	}
	iss, err := s.issuer(r)
	if err != nil {
		return false
	}
	u, err := url.Parse(iss)
	return err == nil && strings.EqualFold(o, u.Scheme+"://"+u.Host)
}

// refuse answers a failed request: on the page, or back to the client.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, c *checked, f *authFailure) {
	if !f.redirect || c == nil {
		s.errorPage(w, http.StatusBadRequest, f.desc)
		return
	}
	s.redirect(w, r, c, url.Values{"error": {f.code}, "error_description": {f.desc}})
}

// redirect sends the browser back to the client with v, the state, and iss (RFC 9207).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, c *checked, v url.Values) {
	u, err := url.Parse(c.redirectURI)
	if err != nil { // checked before; kept as a guard
		s.errorPage(w, http.StatusBadRequest, "bad redirect_uri")
		return
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	if c.req.State != "" {
		q.Set("state", c.req.State)
	}
	q.Set("iss", c.issuer)
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}
