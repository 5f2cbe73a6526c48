package oauth

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Verification refusals; each is answered 401 invalid_token.
var (
	ErrUnknownToken  = errors.New("unknown access token")
	ErrExpiredToken  = errors.New("the access token has expired")
	ErrRevokedToken  = errors.New("the access token was revoked")
	ErrWrongResource = errors.New("the access token was issued for another resource")
	ErrTokenUser     = errors.New("the user of this access token is disabled or deleted")
	ErrUnchecked     = errors.New("the access token could not be checked (details in the hub's log)")
)

// recheck is how long a verified access token is taken from memory before the store is
// read again: what another hub revoked is refused here within it (this hub's own
// revocations at once).
const recheck = 10 * time.Second

// maxCached bounds the tokens kept in memory; past it the cache starts again empty.
const maxCached = 100_000

// grantOf is whom a grant speaks for, as its tokens said.
type grantOf struct {
	user, client string
	expires      time.Time // of the latest access token seen
}

type cached struct {
	tok     store.OAuthToken
	checked time.Time
}

// GrantKeyPrefix marks the key id of an identity that an OAuth grant carries: "oauth:"
// and the grant id. Rate limits, session ownership and audit rows go by it as by a key id.
const GrantKeyPrefix = "oauth:"

// IsAccessToken reports whether a bearer credential has the form of this server's access
// tokens (and so is not an API key).
func IsAccessToken(s string) bool { return strings.HasPrefix(s, AccessPrefix) && len(s) < 256 }

// Verify returns the identity an access token carries on the request's resource (this hub's
// /mcp): its user, with the user's current role, the client as the application, and the
// grant as the key id. A token bound to another resource is refused.
func (s *Server) Verify(r *http.Request, token string) (auth.Identity, error) {
	if !IsAccessToken(token) {
		return auth.Identity{}, ErrUnknownToken
	}
	h := hash(token)
	now := s.now()
	s.mu.Lock()
	c, ok := s.tokens[h]
	s.mu.Unlock()
	if !ok || now.Sub(c.checked) >= recheck {
		t, err := s.cfg.Store.GetOAuthToken(r.Context(), h)
		if errors.Is(err, store.ErrNotFound) || (err == nil && t.Kind != store.OAuthAccess) {
			return auth.Identity{}, ErrUnknownToken
		}
		if err != nil {
			s.log.Error("oauth: read access token", "err", err)
			return auth.Identity{}, ErrUnchecked
		}
		c = &cached{tok: *t, checked: now}
		s.mu.Lock()
		if len(s.tokens) >= maxCached {
			s.tokens = map[string]*cached{}
		}
		s.tokens[h] = c
		if len(s.grants) >= maxCached {
			s.grants = map[string]grantOf{}
		}
		s.grants[t.GrantID] = grantOf{user: t.UserID, client: t.ClientID, expires: t.ExpiresAt}
		s.mu.Unlock()
	}
	t := c.tok
	s.mu.Lock()
	_, revokedHere := s.revoked[t.GrantID]
	s.mu.Unlock()
	switch {
	case !t.RevokedAt.IsZero() || revokedHere:
		return auth.Identity{}, ErrRevokedToken
	case !now.Before(t.ExpiresAt):
		return auth.Identity{}, ErrExpiredToken
	}
	want, err := s.Resource(r)
	if err != nil || t.Resource != want {
		return auth.Identity{}, ErrWrongResource
	}
	id, ok := s.identity(t.GrantID, t.UserID, t.ClientID)
	if !ok {
		return auth.Identity{}, ErrTokenUser
	}
	return id, nil
}

func (s *Server) identity(grant, userID, client string) (auth.Identity, bool) {
	u, ok := s.activeUser(userID)
	if !ok {
		return auth.Identity{}, false
	}
	return auth.Identity{KeyID: GrantKeyPrefix + grant, UserID: u.ID, Name: u.Name, Role: u.Role, UserRole: u.Role,
		Kind: store.KindUser, Application: client, Scope: store.ScopeMCP}, true
}

func (s *Server) activeUser(id string) (store.User, bool) {
	u, ok := s.cfg.Users.User(id)
	return u, ok && !u.Disabled
}

// Current is the identity of a grant's streams as of now, for ending the MCP streams of a
// revoked grant or a changed user (gateway.EndStaleStreams): false when this hub revoked the
// grant, or its user is disabled or deleted. keyID is GrantKeyPrefix + the grant id; a grant
// this hub has not verified a token of has no stream here and is reported gone.
func (s *Server) Current(keyID string) (auth.Identity, bool) {
	grant := strings.TrimPrefix(keyID, GrantKeyPrefix)
	s.mu.Lock()
	_, revoked := s.revoked[grant]
	g, seen := s.grants[grant]
	s.mu.Unlock()
	if revoked || !seen {
		return auth.Identity{}, false
	}
	return s.identity(grant, g.user, g.client)
}

// forgetOld drops what no longer needs remembering: cached tokens past their expiry and
// local revocations older than the longest token lifetime.
func (s *Server) forgetOld() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, c := range s.tokens {
		if !now.Before(c.tok.ExpiresAt) {
			delete(s.tokens, h)
		}
	}
	for g, of := range s.grants {
		if !now.Before(of.expires) {
			delete(s.grants, g)
		}
	}
	for g, at := range s.revoked {
		if now.Sub(at) > s.cfg.RefreshTTL {
			delete(s.revoked, g)
		}
	}
}

// IsAccessToken is the package's IsAccessToken, for the gateway's Tokens interface.
func (s *Server) IsAccessToken(token string) bool { return IsAccessToken(token) }

// Scope is the scope a client asks for to call /mcp.
func (s *Server) Scope() string { return Scope }
