package oauth

import (
	"errors"
	"net/http"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// tokenParams are the token endpoint's parameters; each may appear once.
var tokenParams = []string{"grant_type", "code", "redirect_uri", "client_id", "code_verifier", "refresh_token", "resource", "scope"}

// token is the token endpoint: authorization_code (with PKCE) and refresh_token (rotating).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "unreadable form: "+err.Error())
		return
	}
	p := map[string]string{}
	for _, name := range tokenParams {
		vs := r.PostForm[name]
		if len(vs) > 1 {
			oauthError(w, http.StatusBadRequest, "invalid_request", "parameter "+name+" is given more than once")
			return
		}
		if len(vs) == 1 {
			p[name] = vs[0]
		}
	}
	if _, _, ok := r.BasicAuth(); ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "the hub's clients are public (token_endpoint_auth_method none): send client_id, no secret")
		return
	}
	switch p["grant_type"] {
	case "authorization_code":
		s.exchangeCode(w, r, p)
	case "refresh_token":
		s.refresh(w, r, p)
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing")
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+p["grant_type"]+" is not supported (authorization_code, refresh_token)")
	}
}

func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request, p map[string]string) {
	ctx := r.Context()
	bad := func(desc string) { oauthError(w, http.StatusBadRequest, "invalid_grant", desc) }
	if p["code"] == "" || p["client_id"] == "" || p["code_verifier"] == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "code, client_id and code_verifier are required")
		return
	}
	c, err := s.cfg.Store.GetOAuthCode(ctx, hash(p["code"]))
	if errors.Is(err, store.ErrNotFound) {
		bad("unknown or expired code")
		return
	}
	if err != nil {
		s.serverError(w, "read code", err)
		return
	}
	now := s.now()
	switch {
	case !c.UsedAt.IsZero():
		// A code used twice was stolen or replayed: what it gave is revoked (RFC 6749 4.1.2).
		s.revokeGrant(r, c.GrantID, "authorization code reused")
		s.record(r, ActionReuse, c.UserID, s.userName(c.UserID), c.ClientID, "denied", "authorization code reused: its tokens are revoked")
		bad("the code was already used; the tokens issued for it are revoked")
		return
	case c.ClientID != p["client_id"]:
		bad("the code was issued to another client")
		return
	case !now.Before(c.ExpiresAt):
		bad("the code has expired")
		return
	case p["redirect_uri"] != c.RedirectURI:
		bad("redirect_uri differs from the authorization request's")
		return
	case p["resource"] != "" && p["resource"] != c.Resource:
		oauthError(w, http.StatusBadRequest, "invalid_target", "resource differs from the one authorized ("+c.Resource+")")
		return
	case !VerifyPKCE(p["code_verifier"], c.Challenge):
		bad("code_verifier does not match the code_challenge")
		return
	}
	won, err := s.cfg.Store.UseOAuthCode(ctx, c.Hash, now)
	if err != nil {
		s.serverError(w, "use code", err)
		return
	}
	if !won { // another exchange of the same code got there first
		s.revokeGrant(r, c.GrantID, "authorization code reused")
		bad("the code was already used; the tokens issued for it are revoked")
		return
	}
	if _, ok := s.activeUser(c.UserID); !ok {
		bad("the user who allowed this client is disabled or deleted")
		return
	}
	s.issue(w, r, c.GrantID, c.ClientID, c.UserID, c.Resource)
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request, p map[string]string) {
	ctx := r.Context()
	bad := func(desc string) { oauthError(w, http.StatusBadRequest, "invalid_grant", desc) }
	if p["refresh_token"] == "" || p["client_id"] == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "refresh_token and client_id are required")
		return
	}
	t, err := s.cfg.Store.GetOAuthToken(ctx, hash(p["refresh_token"]))
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Kind != store.OAuthRefresh) {
		bad("unknown or expired refresh token")
		return
	}
	if err != nil {
		s.serverError(w, "read refresh token", err)
		return
	}
	now := s.now()
	switch {
	case t.ClientID != p["client_id"]:
		bad("the refresh token was issued to another client")
		return
	case !t.RevokedAt.IsZero():
		bad("the refresh token was revoked")
		return
	case !t.UsedAt.IsZero():
		// Rotation: each refresh token is good once. A second use means two holders; the
		// whole grant goes (OAuth 2.1 4.3.1, RFC 9700 4.14.2).
		s.revokeGrant(r, t.GrantID, "refresh token reused")
		s.record(r, ActionReuse, t.UserID, s.userName(t.UserID), t.ClientID, "denied", "refresh token reused: every token of its grant is revoked")
		bad("the refresh token was already used; every token of this grant is revoked")
		return
	case !now.Before(t.ExpiresAt):
		bad("the refresh token has expired")
		return
	case p["resource"] != "" && p["resource"] != t.Resource:
		oauthError(w, http.StatusBadRequest, "invalid_target", "resource differs from the one authorized ("+t.Resource+")")
		return
	}
	won, err := s.cfg.Store.UseOAuthToken(ctx, t.Hash, now)
	if err != nil {
		s.serverError(w, "use refresh token", err)
		return
	}
	if !won {
		s.revokeGrant(r, t.GrantID, "refresh token reused")
		bad("the refresh token was already used; every token of this grant is revoked")
		return
	}
	if _, ok := s.activeUser(t.UserID); !ok {
		bad("the user of this grant is disabled or deleted")
		return
	}
	s.issue(w, r, t.GrantID, t.ClientID, t.UserID, t.Resource)
}

// issue stores and returns a new access token and refresh token of a grant.
func (s *Server) issue(w http.ResponseWriter, r *http.Request, grant, client, user, resource string) {
	now := s.now()
	access, refresh := random(AccessPrefix), random(RefreshPrefix)
	at := &store.OAuthToken{Hash: hash(access), Kind: store.OAuthAccess, GrantID: grant, ClientID: client, UserID: user,
		Resource: resource, Scope: Scope, CreatedAt: now, ExpiresAt: now.Add(s.cfg.AccessTTL)}
	rt := *at
	rt.Hash, rt.Kind, rt.ExpiresAt = hash(refresh), store.OAuthRefresh, now.Add(s.cfg.RefreshTTL)
	if err := s.cfg.Store.CreateOAuthTokens(r.Context(), at, &rt); err != nil {
		s.serverError(w, "store tokens", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": int64(s.cfg.AccessTTL / time.Second),
		"refresh_token": refresh, "scope": Scope,
	})
}

// revoke is RFC 7009: a token of the client's (access or refresh) revokes its whole grant.
// The answer is 200 whether or not the token was known, so it tells nothing.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "unreadable form: "+err.Error())
		return
	}
	tok := r.PostFormValue("token")
	if tok == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "token is missing")
		return
	}
	t, err := s.cfg.Store.GetOAuthToken(r.Context(), hash(tok))
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		s.serverError(w, "read token", err)
		return
	case r.PostFormValue("client_id") != "" && r.PostFormValue("client_id") != t.ClientID:
		// Not this client's token: left alone (RFC 7009 2.1), answered alike.
	default:
		s.revokeGrant(r, t.GrantID, "revoked by the client")
		s.record(r, ActionRevoke, t.UserID, s.userName(t.UserID), t.ClientID, "ok", "")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// revokeGrant revokes every token of a grant, here at once and in the store for every hub.
func (s *Server) revokeGrant(r *http.Request, grant, why string) {
	s.mu.Lock()
	s.revoked[grant] = s.now()
	s.mu.Unlock()
	n, err := s.cfg.Store.RevokeOAuthGrant(r.Context(), grant, s.now())
	if err != nil {
		s.log.Error("oauth: revoke grant", "grant", grant, "why", why, "err", err)
		return
	}
	s.log.Warn("oauth: grant revoked", "grant", grant, "why", why, "tokens", n)
}

func (s *Server) userName(id string) string {
	u, _ := s.cfg.Users.User(id)
	return u.Name
}

func (s *Server) serverError(w http.ResponseWriter, what string, err error) {
	s.log.Error("oauth: "+what, "err", err)
	oauthError(w, http.StatusInternalServerError, "server_error", what+" failed on the hub's side")
}
