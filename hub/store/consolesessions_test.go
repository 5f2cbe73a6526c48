package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// testConsoleSessions: a session is found by its id until deleted; touching moves
// last_used_at forward only; stale sessions (expired, or idle) are swept and live ones
// kept; a user's sessions end together, and with the user.
func testConsoleSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := &store.User{Name: "alice", Role: "owner"}
	mustOK(t, s.CreateUser(ctx, u))
	t0 := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	cs := store.ConsoleSession{ID: "h1", UserID: u.ID, CreatedAt: t0, LastUsedAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}
	mustOK(t, s.CreateConsoleSession(ctx, cs))
	wantIs(t, s.CreateConsoleSession(ctx, cs), store.ErrConflict)
	got, err := s.GetConsoleSession(ctx, "h1")
	mustOK(t, err)
	if *got != cs {
		t.Fatalf("GetConsoleSession = %+v, want %+v", got, cs)
	}
	_, err = s.GetConsoleSession(ctx, "nope")
	wantIs(t, err, store.ErrNotFound)

	mustOK(t, s.TouchConsoleSession(ctx, "h1", t0.Add(5*time.Minute)))
	mustOK(t, s.TouchConsoleSession(ctx, "h1", t0.Add(time.Minute))) // older: kept
	if got, _ := s.GetConsoleSession(ctx, "h1"); !got.LastUsedAt.Equal(t0.Add(5 * time.Minute)) {
		t.Fatalf("last used %s, want %s", got.LastUsedAt, t0.Add(5*time.Minute))
	}
	wantIs(t, s.TouchConsoleSession(ctx, "nope", t0), store.ErrNotFound)

	idle := store.ConsoleSession{ID: "h2", UserID: u.ID, CreatedAt: t0, LastUsedAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}
	expired := store.ConsoleSession{ID: "h3", UserID: u.ID, CreatedAt: t0, LastUsedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(time.Hour)}
	mustOK(t, s.CreateConsoleSession(ctx, idle))
	mustOK(t, s.CreateConsoleSession(ctx, expired))
	n, err := s.DeleteStaleConsoleSessions(ctx, t0.Add(time.Hour), t0.Add(time.Minute))
	mustOK(t, err)
	if n != 2 {
		t.Fatalf("swept %d sessions, want 2 (idle and expired)", n)
	}
	if _, err := s.GetConsoleSession(ctx, "h1"); err != nil {
		t.Fatalf("live session swept: %v", err)
	}

	mustOK(t, s.CreateConsoleSession(ctx, idle))
	n, err = s.DeleteUserConsoleSessions(ctx, u.ID)
	mustOK(t, err)
	if n != 2 {
		t.Fatalf("ended %d sessions of the user, want 2", n)
	}
	mustOK(t, s.DeleteConsoleSession(ctx, "h1")) // gone already: no error

	mustOK(t, s.CreateConsoleSession(ctx, cs))
	mustOK(t, s.DeleteUser(ctx, u.ID))
	_, err = s.GetConsoleSession(ctx, "h1")
	wantIs(t, err, store.ErrNotFound)
}

// testAgentsSeen: last seen is recorded for many agents at once, never moves back, and
// ignores unknown ids.
func testAgentsSeen(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"a1", "a2"} {
		mustOK(t, s.CreateAgent(ctx, &store.Agent{ID: id}))
	}
	if a, _ := s.GetAgent(ctx, "a1"); a.LastSeenAt != nil {
		t.Fatalf("new agent seen at %s", a.LastSeenAt)
	}
	t1 := time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC)
	mustOK(t, s.SetAgentsSeen(ctx, []string{"a1", "a2", "unknown"}, t1))
	mustOK(t, s.SetAgentsSeen(ctx, []string{"a1"}, t1.Add(-time.Minute))) // older: kept
	mustOK(t, s.SetAgentsSeen(ctx, nil, t1))
	list, err := s.ListAgents(ctx)
	mustOK(t, err)
	for _, a := range list {
		if a.LastSeenAt == nil || !a.LastSeenAt.Equal(t1) {
			t.Errorf("agent %s seen at %v, want %s", a.ID, a.LastSeenAt, t1)
		}
	}
}
