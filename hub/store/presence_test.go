package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// testPresence: newest claim wins, the loser's renewal no longer names the agent, stale
// epochs write nothing, and an expired lease is not live.
func testPresence(t *testing.T, s store.Store) {
	ctx := context.Background()
	lease := time.Minute
	e1, prev, err := s.ClaimAgent(ctx, store.Presence{AgentID: "a1", HubID: "A", HubURL: "http://a", Instance: "i1", Backends: `[{"name":"x"}]`}, lease)
	mustOK(t, err)
	if e1 != 1 || prev != nil {
		t.Fatalf("first claim: epoch %d prev %+v, want 1 and none", e1, prev)
	}
	got, err := s.RenewAgents(ctx, "A", lease)
	mustOK(t, err)
	if got["a1"] != e1 || len(got) != 1 {
		t.Fatalf("renew A: %v", got)
	}
	e2, prev, err := s.ClaimAgent(ctx, store.Presence{AgentID: "a1", HubID: "B", HubURL: "http://b", Instance: "i2"}, lease)
	mustOK(t, err)
	if e2 != e1+1 || prev == nil || prev.HubID != "A" || prev.Instance != "i1" || !prev.Live {
		t.Fatalf("second claim: epoch %d prev %+v", e2, prev)
	}
	if got, _ := s.RenewAgents(ctx, "A", lease); len(got) != 0 {
		t.Fatalf("A still renews %v after B claimed", got)
	}
	if ok, err := s.SetAgentBackends(ctx, "a1", "A", e1, `[]`); ok || err != nil {
		t.Fatalf("stale holder wrote backends: %v %v", ok, err)
	}
	if ok, err := s.SetAgentBackends(ctx, "a1", "B", e2, `[{"name":"y"}]`); !ok || err != nil {
		t.Fatalf("holder could not write backends: %v %v", ok, err)
	}
	p, err := s.GetPresence(ctx, "a1")
	mustOK(t, err)
	if p.HubID != "B" || p.Backends != `[{"name":"y"}]` || !p.Live || p.Rev < 2 {
		t.Fatalf("presence %+v", p)
	}
	live, err := s.LivePresence(ctx)
	mustOK(t, err)
	if len(live) != 1 || live[0].HubURL != "http://b" {
		t.Fatalf("live %+v", live)
	}
	mustOK(t, s.ReleaseAgent(ctx, "a1", "A", e1)) // stale: no effect
	if _, err := s.GetPresence(ctx, "a1"); err != nil {
		t.Fatalf("stale release deleted the row: %v", err)
	}
	// A lease that ran out is not live.
	_, _, err = s.ClaimAgent(ctx, store.Presence{AgentID: "a2", HubID: "A", HubURL: "http://a"}, time.Millisecond)
	mustOK(t, err)
	deadline := time.Now().Add(30 * time.Second)
	for {
		live, err = s.LivePresence(ctx)
		mustOK(t, err)
		if len(live) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("expired lease still live: %+v", live)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mustOK(t, s.ReleaseHub(ctx, "B"))
	if _, err := s.GetPresence(ctx, "a1"); err == nil {
		t.Fatal("ReleaseHub left the row")
	}
}
