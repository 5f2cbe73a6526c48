package auth

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

func TestDisabledUsersKeysRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	bob := &store.User{Name: "bob", Role: "viewer", PasswordHash: "$argon2id$secret"}
	must(t, f.s.CreateUser(ctx, bob))
	_, bobKey, err := CreateUserKey(ctx, f.s, bob.ID, KeyOptions{Name: "ide", Application: "cursor"})
	must(t, err)
	must(t, f.c.Invalidate(ctx))
	id, ok := f.c.Lookup(bobKey)
	if !ok || id.UserID != bob.ID || id.Application != "cursor" || id.Role != "viewer" {
		t.Fatalf("enabled user's key: %+v, %v", id, ok)
	}
	if u, ok := f.c.User(bob.ID); !ok || u.Name != "bob" || u.Disabled || u.PasswordHash != "" {
		t.Errorf("User(bob) = %+v, %v", u, ok)
	}

	bob.Disabled = true
	must(t, f.s.UpdateUser(ctx, bob))
	// Invalidate makes it take effect at once, without waiting for the periodic refresh.
	must(t, f.c.Invalidate(ctx))
	if id, ok := f.c.Lookup(bobKey); ok {
		t.Errorf("disabled user's key accepted: %+v", id)
	}
	if u, ok := f.c.User(bob.ID); !ok || !u.Disabled {
		t.Errorf("User(bob) after disabling = %+v, %v", u, ok)
	}
	if _, ok := f.c.Lookup(f.ownerKey); !ok {
		t.Error("another user's key refused")
	}

	bob.Disabled = false
	must(t, f.s.UpdateUser(ctx, bob))
	must(t, f.c.Invalidate(ctx))
	if _, ok := f.c.Lookup(bobKey); !ok {
		t.Error("re-enabled user's key refused")
	}

	must(t, f.s.DeleteUser(ctx, bob.ID))
	must(t, f.c.Invalidate(ctx))
	if _, ok := f.c.Lookup(bobKey); ok {
		t.Error("deleted user's key accepted")
	}
	if _, ok := f.c.User(bob.ID); ok {
		t.Error("deleted user still in the cache")
	}
}

func TestInvalidateRevokesAtOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k, plain, err := CreateUserKey(ctx, f.s, f.owner.ID, KeyOptions{Name: "k"})
	must(t, err)
	must(t, f.c.Invalidate(ctx))
	if _, ok := f.c.Lookup(plain); !ok {
		t.Fatal("new key refused after Invalidate")
	}
	must(t, f.s.RevokeKey(ctx, k.ID))
	must(t, f.c.Invalidate(ctx))
	if _, ok := f.c.Lookup(plain); ok {
		t.Error("revoked key accepted after Invalidate")
	}
	if _, ok := NewCache(f.s, nil).User(f.owner.ID); ok {
		t.Error("User found in a cache never refreshed")
	}
}

// A key written to the store behind the cache's back (the offline CLI while the hub runs) is
// accepted at its first use once MissRefresh has passed since the last reload; unknown keys
// reload at most once per MissRefresh.
func TestUnknownKeyReloadsOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	clock := time.Now()
	f.c.now = func() time.Time { return clock }
	f.refresh(t)
	_, plain, err := CreateUserKey(ctx, f.s, f.owner.ID, KeyOptions{Name: "offline"})
	must(t, err)
	if _, ok := f.c.Lookup(plain); ok {
		t.Fatal("accepted before MissRefresh passed: the store was read on every miss")
	}
	clock = clock.Add(MissRefresh)
	if id, ok := f.c.Lookup(plain); !ok || id.UserID != f.owner.ID {
		t.Fatalf("key made behind the cache's back refused after MissRefresh: %+v", id)
	}
	// A revoked key stays refused: a miss reload reads the same store.
	_, other, err := CreateUserKey(ctx, f.s, f.owner.ID, KeyOptions{Name: "gone"})
	must(t, err)
	keys, _ := f.s.ListKeys(ctx)
	for _, k := range keys {
		if k.Name == "gone" {
			must(t, f.s.RevokeKey(ctx, k.ID))
		}
	}
	clock = clock.Add(MissRefresh)
	if _, ok := f.c.Lookup(other); ok {
		t.Error("a revoked key was accepted by a miss reload")
	}
}
