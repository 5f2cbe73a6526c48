package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// countingStore counts TouchKeys calls and can be told to fail them.
type countingStore struct {
	store.Store
	touches atomic.Int32
	fail    atomic.Bool
}

func (s *countingStore) TouchKeys(ctx context.Context, m map[string]time.Time) error {
	s.touches.Add(1)
	if s.fail.Load() {
		return errors.New("database unavailable")
	}
	return s.Store.TouchKeys(ctx, m)
}

// fixture is a store with an owner, an enrolled agent, and a cache over them.
type fixture struct {
	s        *countingStore
	c        *Cache
	owner    *store.User
	ownerKey string
	agentKey string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{s: &countingStore{Store: storetest.New(t)}}
	var err error
	if f.owner, f.ownerKey, err = CreateOwner(ctx, f.s, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, f.agentKey, err = EnrollAgent(ctx, f.s, "laptop"); err != nil {
		t.Fatal(err)
	}
	f.c = NewCache(f.s, nil)
	f.refresh(t)
	return f
}

func (f *fixture) refresh(t *testing.T) {
	t.Helper()
	if err := f.c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) keyID(t *testing.T, plaintext string) string {
	t.Helper()
	ks, err := f.s.ListKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		if k.Hash == HashKey(plaintext) {
			return k.ID
		}
	}
	t.Fatalf("no stored key for %s…", plaintext[:12])
	return ""
}

func TestLookupFindsValidKeys(t *testing.T) {
	f := newFixture(t)
	got, ok := f.c.Lookup(f.ownerKey)
	want := Identity{KeyID: f.keyID(t, f.ownerKey), UserID: f.owner.ID, Name: "alice", Role: rbac.RoleOwner, UserRole: rbac.RoleOwner, Kind: store.KindUser, Scope: store.ScopeAll}
	if !ok || got != want {
		t.Errorf("owner key: Lookup = %+v, %v; want %+v", got, ok, want)
	}
	got, ok = f.c.Lookup(f.agentKey)
	want = Identity{KeyID: f.keyID(t, f.agentKey), Name: "laptop", Kind: store.KindAgent, AgentID: "laptop", Scope: store.ScopeAll}
	if !ok || got != want {
		t.Errorf("agent key: Lookup = %+v, %v; want %+v", got, ok, want)
	}
}

func TestLookupRefuses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	unknown, _ := NewKey()

	revokedPlain := storeKey(t, f.s, &store.APIKey{Kind: store.KindUser, UserID: f.owner.ID})
	must(t, f.s.RevokeKey(ctx, f.keyID(t, revokedPlain)))

	past := time.Now().Add(-time.Minute)
	expiredPlain := storeKey(t, f.s, &store.APIKey{Kind: store.KindUser, UserID: f.owner.ID, ExpiresAt: &past})

	_, agent2Key, err := EnrollAgent(ctx, f.s, "desktop")
	must(t, err)
	must(t, f.s.RevokeAgent(ctx, "desktop"))
	f.refresh(t)

	cases := map[string]string{
		"unknown":           unknown,
		"revoked":           revokedPlain,
		"expired in store":  expiredPlain,
		"revoked agent":     agent2Key,
		"empty":             "",
		"prefix only":       KeyPrefix,
		"truncated":         f.ownerKey[:len(f.ownerKey)-1],
		"extra character":   f.ownerKey + "A",
		"wrong prefix":      "mcpgx_" + f.ownerKey[len(KeyPrefix):],
		"upper-case":        strings.ToUpper(f.ownerKey),
		"with scheme":       "Bearer " + f.ownerKey,
		"hash instead":      HashKey(f.ownerKey),
		"surrounding space": " " + f.ownerKey,
	}
	for name, key := range cases {
		if id, ok := f.c.Lookup(key); ok {
			t.Errorf("%s: Lookup(%q) = %+v, want not found", name, key, id)
		}
	}
	// The same cache still accepts the good ones, so the refusals above are about the keys.
	if _, ok := f.c.Lookup(f.ownerKey); !ok {
		t.Error("owner key no longer found")
	}
}

func TestLookupChecksExpiryAtLookup(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	exp := time.Now().Add(time.Hour)
	_, plain, err := CreateUserKey(ctx, f.s, f.owner.ID, KeyOptions{Name: "short", ExpiresAt: &exp})
	must(t, err)
	f.refresh(t)
	if _, ok := f.c.Lookup(plain); !ok {
		t.Fatal("key not found before expiry")
	}
	f.c.now = func() time.Time { return exp }
	if _, ok := f.c.Lookup(plain); ok {
		t.Error("key found at its expiry time, without a refresh")
	}
	if _, ok := f.c.Lookup(f.ownerKey); !ok {
		t.Error("non-expiring key not found")
	}
}

func TestLookupBeforeRefresh(t *testing.T) {
	f := newFixture(t)
	c := NewCache(f.s, nil)
	if _, ok := c.Lookup(f.ownerKey); ok {
		t.Error("empty cache found a key")
	}
}

func TestRefreshSeesWrites(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, plain, err := CreateUserKey(ctx, f.s, f.owner.ID, KeyOptions{Name: "new"})
	must(t, err)
	if _, ok := f.c.Lookup(plain); ok {
		t.Fatal("key found before Refresh")
	}
	f.refresh(t)
	if _, ok := f.c.Lookup(plain); !ok {
		t.Fatal("key not found after Refresh")
	}
	must(t, f.s.RevokeKey(ctx, f.keyID(t, plain)))
	f.refresh(t)
	if _, ok := f.c.Lookup(plain); ok {
		t.Fatal("revoked key found after Refresh")
	}
}

func TestFlushLastUsed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	used := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	f.c.now = func() time.Time { return used }

	must(t, f.c.flush(ctx))
	if n := f.s.touches.Load(); n != 0 {
		t.Errorf("flush with nothing used called TouchKeys %d times", n)
	}
	f.c.Lookup(f.ownerKey)
	must(t, f.c.flush(ctx))
	k, err := f.s.GetKey(ctx, f.keyID(t, f.ownerKey))
	must(t, err)
	if k.LastUsedAt == nil || !k.LastUsedAt.Equal(used) {
		t.Errorf("LastUsedAt = %v, want %v", k.LastUsedAt, used)
	}
	if a, _ := f.s.GetKey(ctx, f.keyID(t, f.agentKey)); a.LastUsedAt != nil {
		t.Errorf("unused agent key has LastUsedAt %v", a.LastUsedAt)
	}
	f.refresh(t) // usage survives a refresh without being written again
	must(t, f.c.flush(ctx))
	if n := f.s.touches.Load(); n != 1 {
		t.Errorf("TouchKeys called %d times, want 1", n)
	}
}

// A key used and then revoked before the flush still gets its last-used time, and a failed
// flush is retried.
func TestFlushAfterRevokeAndFailure(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.c.Lookup(f.ownerKey)
	id := f.keyID(t, f.ownerKey)
	must(t, f.s.RevokeKey(ctx, id))
	f.refresh(t)

	f.s.fail.Store(true)
	if err := f.c.flush(ctx); err == nil {
		t.Fatal("flush succeeded against a failing store")
	}
	f.s.fail.Store(false)
	must(t, f.c.flush(ctx))
	if k, _ := f.s.GetKey(ctx, id); k.LastUsedAt == nil {
		t.Error("last use of the revoked key was lost")
	}
}

func TestRunRefreshesAndFlushesOnExit(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.c.refreshEvery, f.c.flushEvery = 5*time.Millisecond, time.Hour
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.c.Run(runCtx) }()

	// Written behind the cache's back, as another hub or the CLI would.
	_, plain, err := CreateUserKey(ctx, f.s, f.owner.ID, KeyOptions{Name: "elsewhere"})
	must(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for _, ok := f.c.Lookup(plain); !ok; _, ok = f.c.Lookup(plain) {
		if time.Now().After(deadline) {
			t.Fatal("Run never picked up the new key")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if k, _ := f.s.GetKey(ctx, f.keyID(t, plain)); k.LastUsedAt == nil {
		t.Error("Run did not flush last-used times on exit")
	}
}

func TestConcurrentLookupAndRefresh(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, ok := f.c.Lookup(f.ownerKey); !ok {
					t.Error("owner key not found during refresh")
					return
				}
			}
		})
	}
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := f.c.Refresh(ctx); err != nil && ctx.Err() == nil {
				t.Error(err)
			}
			f.c.flush(ctx)
		}
	})
	wg.Wait()
}

// storeKey stores k with a fresh key and returns the plaintext, bypassing admin checks.
func storeKey(t *testing.T, s store.Store, k *store.APIKey) string {
	t.Helper()
	plain, err := createKey(context.Background(), s, k)
	must(t, err)
	return plain
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// KeyActive answers by key id: known and unexpired keys are active; revoked, expired and
// unknown ones are not.
func TestKeyActive(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agentKey, ownerKey := f.keyID(t, f.agentKey), f.keyID(t, f.ownerKey)
	exp := time.Now().Add(time.Hour)
	_, expiring, err := CreateUserKey(ctx, f.s, f.owner.ID, KeyOptions{Name: "short", ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	f.refresh(t)
	expiringKey := f.keyID(t, expiring)
	for _, id := range []string{agentKey, ownerKey, expiringKey} {
		if !f.c.KeyActive(id) {
			t.Errorf("KeyActive(%s) = false for an active key", id)
		}
	}
	if f.c.KeyActive("key_unknown") {
		t.Error("KeyActive = true for an unknown key id")
	}
	if err := f.s.RevokeKey(ctx, agentKey); err != nil {
		t.Fatal(err)
	}
	f.refresh(t)
	if f.c.KeyActive(agentKey) {
		t.Error("KeyActive = true for a revoked key")
	}
	f.c.now = func() time.Time { return exp }
	if f.c.KeyActive(expiringKey) || !f.c.KeyActive(ownerKey) {
		t.Error("at the expiry time: want the expiring key inactive and the owner's key active")
	}
}

// TestRefreshInBackground: the lookups made while the first load runs wait for it and find
// the keys, instead of refusing them as unknown (a hub answers /readyz before its keys are
// read: issue 11, cold start); unknown keys are still refused after it.
func TestRefreshInBackground(t *testing.T) {
	f := newFixture(t)
	c := NewCache(f.s, nil)
	agentID := f.keyID(t, f.agentKey)
	c.refreshMu.Lock() // the background load cannot start reading until the lookups wait
	c.RefreshInBackground(t.Context(), time.Second)
	results := make(chan bool, 3)
	go func() { _, ok := c.Lookup(f.ownerKey); results <- ok }()
	go func() { _, ok := c.Lookup(f.agentKey); results <- ok }()
	go func() { results <- c.KeyActive(agentID) }()
	select {
	case ok := <-results:
		t.Fatalf("a lookup answered %v before the keys were loaded", ok)
	case <-time.After(100 * time.Millisecond): // a window for a lookup that does not wait to answer wrongly
	}
	c.refreshMu.Unlock()
	for range 3 {
		if !<-results {
			t.Error("a key was refused after the background load")
		}
	}
	if _, ok := c.Lookup("mcpgw_" + strings.Repeat("x", 43)); ok {
		t.Error("an unknown key was accepted")
	}
}
