package auth

import (
	"context"
	"testing"

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
