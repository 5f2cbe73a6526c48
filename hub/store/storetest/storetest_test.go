package storetest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

func TestNewIsFreshSQLite(t *testing.T) {
	a, b := storetest.New(t), storetest.New(t)
	if a.Dialect() != "sqlite" {
		t.Fatalf("Dialect() = %q", a.Dialect())
	}
	assertIsolated(t, a, b)
}

func TestNewPostgresIsolatesSchemas(t *testing.T) {
	a, b := storetest.NewPostgres(t), storetest.NewPostgres(t)
	if a.Dialect() != "postgres" {
		t.Fatalf("Dialect() = %q", a.Dialect())
	}
	assertIsolated(t, a, b)
}

func assertIsolated(t *testing.T, a, b store.Store) {
	t.Helper()
	ctx := context.Background()
	if err := a.CreateUser(ctx, &store.User{ID: "u1", Name: "alice", Role: "owner"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetUser(ctx, "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second store sees the first one's user: %v", err)
	}
}
