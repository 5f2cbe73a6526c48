package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

func TestToolStates(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testToolStates(t, storetest.Open(t, b.config(t)))
		})
	}
}

func testToolStates(t *testing.T, s store.Store) {
	ctx := context.Background()
	if ts, err := s.ListToolStates(ctx); err != nil || len(ts) != 0 {
		t.Fatalf("empty store: %v, %v", ts, err)
	}
	if err := s.PutToolState(ctx, &store.ToolState{Tool: "x"}); err == nil {
		t.Fatal("a state without backend was accepted")
	}
	at := time.Date(2026, 11, 22, 1, 2, 3, 456789000, time.UTC)
	hub := &store.ToolState{Backend: "fs", Tool: "read_file", Status: store.ToolPinned, PinnedHash: "aa"}
	agent := &store.ToolState{Agent: "laptop", Backend: "fs", Tool: "read_file", Disabled: true, RiskOverride: "write",
		Status: store.ToolApproved, PinnedHash: "bb", Findings: `{"x":1}`, ApprovedBy: "usr_1", ApprovedAt: &at}
	for _, ts := range []*store.ToolState{agent, hub} {
		if err := s.PutToolState(ctx, ts); err != nil {
			t.Fatal(err)
		}
		if ts.UpdatedAt.IsZero() {
			t.Fatal("UpdatedAt not set")
		}
	}
	got, err := s.ListToolStates(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("list: %v, %v", got, err)
	}
	// Ordered by agent: the hub's ("") first.
	if g := got[0]; g.Agent != "" || g.Disabled || g.Status != store.ToolPinned || g.PinnedHash != "aa" || g.ApprovedAt != nil {
		t.Errorf("hub tool = %+v", g)
	}
	g := got[1]
	if !g.Disabled || g.RiskOverride != "write" || g.Status != store.ToolApproved || g.Findings != `{"x":1}` ||
		g.ApprovedBy != "usr_1" || g.ApprovedAt == nil || !g.ApprovedAt.Equal(at) {
		t.Errorf("agent tool = %+v", g)
	}

	// Upsert replaces every field: re-enabling and clearing the override survive a reload.
	agent.Disabled, agent.RiskOverride, agent.Status = false, "", store.ToolQuarantined
	if err := s.PutToolState(ctx, agent); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ListToolStates(ctx)
	if len(got) != 2 || got[1].Disabled || got[1].RiskOverride != "" || got[1].Status != store.ToolQuarantined {
		t.Fatalf("after upsert: %+v", got)
	}

	if err := s.DeleteToolState(ctx, "laptop", "fs", "read_file"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToolState(ctx, "laptop", "fs", "read_file"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if got, _ = s.ListToolStates(ctx); len(got) != 1 {
		t.Fatalf("after delete: %+v", got)
	}
}

func TestToolDefinitions(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, b.config(t))
			ctx := context.Background()
			if _, err := s.ToolDefinition(ctx, "laptop", "fs", "read", "h1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("no definition yet: %v", err)
			}
			// A state written without a definition keeps none.
			if err := s.PutToolState(ctx, &store.ToolState{Agent: "laptop", Backend: "fs", Tool: "read", Status: store.ToolPinned, PinnedHash: "h0"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ToolDefinition(ctx, "laptop", "fs", "read", "h0"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a definition was kept though none was given: %v", err)
			}
			v1 := `{"name":"read","description":"v1"}`
			v2 := `{"name":"read","description":"v2"}`
			for _, w := range []struct{ hash, def string }{{"h1", v1}, {"h2", v2}, {"h1", `{"other":true}`}} {
				if err := s.PutToolState(ctx, &store.ToolState{Agent: "laptop", Backend: "fs", Tool: "read",
					Status: store.ToolApproved, PinnedHash: w.hash, Definition: w.def}); err != nil {
					t.Fatal(err)
				}
			}
			// Both fingerprints are kept; the first definition under a fingerprint stays.
			for hash, want := range map[string]string{"h1": v1, "h2": v2} {
				if got, err := s.ToolDefinition(ctx, "laptop", "fs", "read", hash); err != nil || got != want {
					t.Errorf("definition %s = %q, %v; want %q", hash, got, err, want)
				}
			}
			// Another tool's fingerprint is not confused with this one's.
			if _, err := s.ToolDefinition(ctx, "", "fs", "read", "h1"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("hub tool found the agent's definition: %v", err)
			}
			states, err := s.ListToolStates(ctx)
			if err != nil || len(states) != 1 || states[0].Definition != "" {
				t.Fatalf("list loads definitions: %+v, %v", states, err)
			}
			if err := s.DeleteToolState(ctx, "laptop", "fs", "read"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ToolDefinition(ctx, "laptop", "fs", "read", "h2"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("definitions outlived their tool's state: %v", err)
			}
		})
	}
}
