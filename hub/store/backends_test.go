package store_test

import (
	"context"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

func TestBackendsAndUserKeys(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Run("Backends", func(t *testing.T) { t.Parallel(); testBackends(t, storetest.Open(t, b.config(t))) })
			t.Run("ListUserKeys", func(t *testing.T) { t.Parallel(); testListUserKeys(t, storetest.Open(t, b.config(t))) })
		})
	}
}

func testBackends(t *testing.T, s store.Store) {
	ctx := context.Background()
	if bs, err := s.ListBackends(ctx); err != nil || len(bs) != 0 {
		t.Fatalf("ListBackends on empty store = %v, %v", bs, err)
	}
	rec := &store.BackendRecord{Name: "files", Config: `{"name":"files"}`, CreatedBy: "alice"}
	mustOK(t, s.CreateBackend(ctx, rec))
	wantIs(t, s.CreateBackend(ctx, &store.BackendRecord{Name: "files", Config: "{}"}), store.ErrConflict)
	got, err := s.GetBackend(ctx, "files")
	mustOK(t, err)
	if *got != *rec {
		t.Fatalf("GetBackend = %+v, want %+v", got, rec)
	}
	rec.Config = `{"name":"files","transport":"stdio"}`
	mustOK(t, s.UpdateBackend(ctx, rec))
	got, err = s.GetBackend(ctx, "files")
	mustOK(t, err)
	if got.Config != rec.Config || got.UpdatedAt.Before(got.CreatedAt) || got.CreatedBy != "alice" {
		t.Fatalf("after update: %+v", got)
	}
	wantIs(t, s.UpdateBackend(ctx, &store.BackendRecord{Name: "nope", Config: "{}"}), store.ErrNotFound)
	bs, err := s.ListBackends(ctx)
	mustOK(t, err)
	if len(bs) != 1 || bs[0].Name != "files" {
		t.Fatalf("ListBackends = %+v", bs)
	}
	mustOK(t, s.DeleteBackend(ctx, "files"))
	wantIs(t, s.DeleteBackend(ctx, "files"), store.ErrNotFound)
	_, err = s.GetBackend(ctx, "files")
	wantIs(t, err, store.ErrNotFound)
}

func testListUserKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := &store.User{Name: "a", Role: "viewer"}
	b := &store.User{Name: "b", Role: "viewer"}
	mustOK(t, s.CreateUser(ctx, a))
	mustOK(t, s.CreateUser(ctx, b))
	mustOK(t, s.CreateAgent(ctx, &store.Agent{ID: "laptop"}))
	for i, k := range []*store.APIKey{
		{Name: "a1", Kind: store.KindUser, UserID: a.ID},
		{Name: "b1", Kind: store.KindUser, UserID: b.ID},
		{Name: "a2", Kind: store.KindUser, UserID: a.ID},
		{Name: "agent", Kind: store.KindAgent, AgentID: "laptop"},
	} {
		k.Hash = string(rune('a'+i)) + "hash"
		mustOK(t, s.CreateKey(ctx, k))
	}
	ks, err := s.ListUserKeys(ctx, a.ID)
	mustOK(t, err)
	if len(ks) != 2 || ks[0].Name != "a1" || ks[1].Name != "a2" {
		t.Fatalf("ListUserKeys(a) = %+v", ks)
	}
	if ks, err := s.ListUserKeys(ctx, "laptop"); err != nil || len(ks) != 0 {
		t.Fatalf("ListUserKeys(agent id) = %+v, %v; agent keys are not user keys", ks, err)
	}
}
