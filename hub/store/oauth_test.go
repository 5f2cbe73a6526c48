package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// testOAuthServer: clients round-trip and are replaced by id; a code and a refresh token are
// used once however many try at the same time; a grant's revocation reaches all its tokens;
// deleting the user deletes its codes and tokens; pruning keeps what has not expired.
func testOAuthServer(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := &store.User{Name: "alice", Role: "viewer"}
	mustOK(t, s.CreateUser(ctx, u))
	now := time.Now().UTC().Truncate(time.Millisecond)

	c := &store.OAuthClient{ID: "https://app.example/client.json", Kind: store.OAuthClientDocument, Name: "App",
		RedirectURIs: []string{"http://127.0.0.1/cb"}, Metadata: `{}`, CreatedAt: now, FetchedAt: now}
	mustOK(t, s.PutOAuthClient(ctx, c))
	c.Name, c.RedirectURIs, c.FetchedAt = "App 2", []string{"http://127.0.0.1/cb2"}, now.Add(time.Hour)
	mustOK(t, s.PutOAuthClient(ctx, c))
	got, err := s.GetOAuthClient(ctx, c.ID)
	mustOK(t, err)
	if got.Name != "App 2" || len(got.RedirectURIs) != 1 || got.RedirectURIs[0] != "http://127.0.0.1/cb2" ||
		!got.CreatedAt.Equal(now) || !got.FetchedAt.Equal(now.Add(time.Hour)) || got.Kind != store.OAuthClientDocument {
		t.Fatalf("client after replace: %+v", got)
	}
	if _, err := s.GetOAuthClient(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown client: %v", err)
	}

	code := &store.OAuthCode{Hash: "h-code", ClientID: c.ID, UserID: u.ID, RedirectURI: "http://127.0.0.1/cb2",
		Challenge: "ch", Resource: "http://hub/mcp", Scope: "mcp", GrantID: "g1", ExpiresAt: now.Add(time.Minute)}
	mustOK(t, s.CreateOAuthCode(ctx, code))
	if err := s.CreateOAuthCode(ctx, code); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate code: %v, want ErrConflict", err)
	}
	gc, err := s.GetOAuthCode(ctx, "h-code")
	mustOK(t, err)
	if gc.Challenge != "ch" || gc.GrantID != "g1" || !gc.ExpiresAt.Equal(code.ExpiresAt) || !gc.UsedAt.IsZero() {
		t.Fatalf("code: %+v", gc)
	}
	if wins := race(t, func() (bool, error) { return s.UseOAuthCode(ctx, "h-code", now) }); wins != 1 {
		t.Fatalf("code redeemed %d times by 8 concurrent tries, want 1", wins)
	}

	access := &store.OAuthToken{Hash: "h-at", Kind: store.OAuthAccess, GrantID: "g1", ClientID: c.ID, UserID: u.ID,
		Resource: "http://hub/mcp", Scope: "mcp", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	refresh := *access
	refresh.Hash, refresh.Kind, refresh.ExpiresAt = "h-rt", store.OAuthRefresh, now.Add(24*time.Hour)
	mustOK(t, s.CreateOAuthTokens(ctx, access, &refresh))
	if ok, err := s.UseOAuthToken(ctx, "h-at", now); ok || err != nil {
		t.Fatalf("an access token was used as a refresh token: %v %v", ok, err)
	}
	if wins := race(t, func() (bool, error) { return s.UseOAuthToken(ctx, "h-rt", now) }); wins != 1 {
		t.Fatalf("refresh token exchanged %d times by 8 concurrent tries, want 1", wins)
	}
	n, err := s.RevokeOAuthGrant(ctx, "g1", now)
	mustOK(t, err)
	if n != 2 {
		t.Fatalf("revoked %d tokens of the grant, want 2", n)
	}
	at, err := s.GetOAuthToken(ctx, "h-at")
	mustOK(t, err)
	if at.RevokedAt.IsZero() || at.Resource != "http://hub/mcp" || at.Kind != store.OAuthAccess {
		t.Fatalf("access token after revocation: %+v", at)
	}

	old := *access
	old.Hash, old.GrantID, old.ExpiresAt = "h-old", "g2", now.Add(-time.Hour)
	mustOK(t, s.CreateOAuthTokens(ctx, &old))
	mustOK(t, s.PruneOAuth(ctx, now))
	if _, err := s.GetOAuthToken(ctx, "h-old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired token kept by prune: %v", err)
	}
	if _, err := s.GetOAuthToken(ctx, "h-rt"); err != nil {
		t.Fatalf("live token pruned: %v", err)
	}
	mustOK(t, s.DeleteUser(ctx, u.ID))
	if _, err := s.GetOAuthToken(ctx, "h-rt"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token of a deleted user: %v", err)
	}
	if _, err := s.GetOAuthCode(ctx, "h-code"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("code of a deleted user: %v", err)
	}
}

// race runs use from 8 goroutines at once and counts the successes.
func race(t *testing.T, use func() (bool, error)) int {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	wins := 0
	for range 8 {
		wg.Go(func() {
			ok, err := use()
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return wins
}
