package auth

import (
	"context"
	"fmt"
	"sync"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// spentTokens remembers the refresh tokens already exchanged (by jti, until they expire),
// so that each is used once: Refresh rotates them, and a second use means two parties
// hold the token (one of them stole it).
type spentTokens struct {
	mu        sync.Mutex
	m         map[string]int64 // jti → exp (unix seconds)
	pruneAt   int              // size at which expired entries are dropped next
	lastPrune int64
}

// spend marks jti used and reports whether it was fresh (false: already used).
func (s *spentTokens) spend(jti string, exp, now int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m, s.pruneAt = make(map[string]int64), 1024
	}
	if _, used := s.m[jti]; used {
		return false
	}
	if len(s.m) >= s.pruneAt && now > s.lastPrune {
		for k, e := range s.m {
			if e <= now {
				delete(s.m, k)
			}
		}
		s.pruneAt, s.lastPrune = max(1024, 2*len(s.m)), now
	}
	s.m[jti] = exp
	return true
}

// endSessions ends every token of u, after a refresh token was used twice: it rewrites the
// user unchanged, which moves its UpdatedAt past every token issued so far.
func (a *Authenticator) endSessions(ctx context.Context, u *store.User) error {
	if err := a.store.UpdateUser(ctx, u); err != nil {
		return fmt.Errorf("refresh: end the sessions of user %q after a reused token: %w", u.ID, err)
	}
	if a.cache != nil {
		if err := a.cache.Invalidate(ctx); err != nil {
			return fmt.Errorf("refresh: sessions ended, but the cache was not refreshed: %w", err)
		}
	}
	return nil
}
