package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// testPresence: newest claim wins, the loser's renewal no longer names the agent, stale
// epochs write nothing, and an expired lease is not live.
func testPresence(t *testing.T, s store.Store) {
	ctx := context.Background()
	lease, mem := time.Minute, 10*time.Minute
	c, err := s.ClaimAgent(ctx, store.Presence{AgentID: "a1", HubID: "A", HubURL: "http://a", Instance: "i1", Backends: `[{"name":"x"}]`}, lease, mem)
	mustOK(t, err)
	e1, prev := c.Epoch, c.Prev
	if e1 != 1 || prev != nil {
		t.Fatalf("first claim: epoch %d prev %+v, want 1 and none", e1, prev)
	}
	got, err := s.RenewAgents(ctx, "A", lease)
	mustOK(t, err)
	if got["a1"] != e1 || len(got) != 1 {
		t.Fatalf("renew A: %v", got)
	}
	c, err = s.ClaimAgent(ctx, store.Presence{AgentID: "a1", HubID: "B", HubURL: "http://b", Instance: "i2"}, lease, mem)
	mustOK(t, err)
	e2, prev := c.Epoch, c.Prev
	if c.Fought {
		t.Fatal("a first replacement is no fight")
	}
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
	_, err = s.ClaimAgent(ctx, store.Presence{AgentID: "a2", HubID: "A", HubURL: "http://a"}, time.Millisecond, mem)
	mustOK(t, err)
	if !waitfor.Poll(30*time.Second, func() bool {
		live, err = s.LivePresence(ctx)
		mustOK(t, err)
		return len(live) == 1
	}) {
		t.Fatalf("expired lease still live: %+v", live)
	}
	mustOK(t, s.ReleaseHub(ctx, "B"))
	if _, err := s.GetPresence(ctx, "a1"); err == nil {
		t.Fatal("ReleaseHub left the row")
	}
}

// testPresenceFight: an agent process that was pushed out and takes the id back is a fight,
// whichever hub each claim comes through; the same process reconnecting is not.
func testPresenceFight(t *testing.T, s store.Store) {
	ctx := context.Background()
	claim := func(hub, inst string) store.Claim {
		c, err := s.ClaimAgent(ctx, store.Presence{AgentID: "twin", HubID: hub, HubURL: "http://" + hub, Instance: inst}, time.Minute, 10*time.Minute)
		mustOK(t, err)
		return c
	}
	for i, step := range []struct {
		hub, inst string
		fought    bool
	}{
		{"A", "i1", false},
		{"B", "i1", false}, // the same process moved
		{"B", "i2", false}, // another pushed it out
		{"C", "i1", true},  // the first came back through a third hub
		{"A", "i2", true},  // and the other again
	} {
		if c := claim(step.hub, step.inst); c.Fought != step.fought {
			t.Fatalf("step %d (%s on %s): fought %v, want %v", i, step.inst, step.hub, c.Fought, step.fought)
		}
	}
	p, err := s.GetPresence(ctx, "twin")
	mustOK(t, err)
	if p.FoughtAt.IsZero() || time.Since(p.FoughtAt) > time.Hour {
		t.Fatalf("FoughtAt %v", p.FoughtAt)
	}
	// An expired lease's holder is no longer pushed out by a claim: no fight is counted.
	c, err := s.ClaimAgent(ctx, store.Presence{AgentID: "solo", HubID: "A", Instance: "j1"}, time.Millisecond, 10*time.Minute)
	mustOK(t, err)
	_ = c
	if !waitfor.Poll(30*time.Second, func() bool {
		p, err := s.GetPresence(ctx, "solo")
		mustOK(t, err)
		return !p.Live
	}) {
		t.Fatal("lease did not expire")
	}
	claim2 := func(inst string) bool {
		c, err := s.ClaimAgent(ctx, store.Presence{AgentID: "solo", HubID: "B", Instance: inst}, time.Minute, 10*time.Minute)
		mustOK(t, err)
		return c.Fought
	}
	if claim2("j2") || claim2("j1") {
		t.Fatal("a claim after an expired lease counted as a push-out")
	}
}

// Claims, new backends and releases notify topic "presence"; lease renewals, the most
// frequent write, notify nothing.
func TestPresenceNotifies(t *testing.T) {
	url := storetest.PostgresURL(t)
	st := storetest.Open(t, store.Config{DatabaseURL: url, DataDir: t.TempDir()})
	ctx, cancel := context.WithCancel(context.Background())
	topics := make(chan string, 64)
	done := make(chan error, 1)
	go func() {
		done <- store.Listen(ctx, store.ListenConfig{DatabaseURL: url, OnChange: func(topic string) { topics <- topic }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Listen: %v", err)
		}
	})
	next := func(want string) {
		t.Helper()
		select {
		case got := <-topics:
			if got != want {
				t.Fatalf("topic %q, want %q", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no notification %q within 30 s", want)
		}
	}
	next(store.TopicAll)
	c, err := st.ClaimAgent(ctx, store.Presence{AgentID: "a1", HubID: "A", HubURL: "http://a"}, time.Minute, time.Minute)
	mustOK(t, err)
	next(store.TopicPresence)
	_, err = st.RenewAgents(ctx, "A", time.Minute)
	mustOK(t, err)
	mustOK(t, st.PutSetting(ctx, "marker", "1"))
	next(store.TopicSettings) // not presence: the renewal sent nothing
	_, err = st.SetAgentBackends(ctx, "a1", "A", c.Epoch, `[]`)
	mustOK(t, err)
	next(store.TopicPresence)
	mustOK(t, st.ReleaseAgent(ctx, "a1", "A", c.Epoch))
	next(store.TopicPresence)
}
