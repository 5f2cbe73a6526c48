package api_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	agentconfig "github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/server"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// runAgent runs a real agent (connector) with one HTTP backend until the test ends.
func runAgent(t *testing.T, h *hubtest.Hub, id, key, backendURL string) {
	t.Helper()
	cfg := agentconfig.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = id, h.AgentURL(), key
	cfg.Backends = []backend.Config{{Name: "tools", Transport: backend.TransportHTTP, URL: backendURL}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := connector.New(cfg, connector.Options{Logger: slog.New(slog.DiscardHandler), Version: "api-test",
		RefusedRetry: time.Minute, Backoff: connector.Backoff{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("agent did not stop")
		}
	})
}

func agentState(t *testing.T, c *client, id string) api.Agent {
	t.Helper()
	var list api.List[api.Agent]
	c.must(200, "GET", "/agents", nil, &list)
	for _, a := range list.Items {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("agent %s not listed: %+v", id, list.Items)
	return api.Agent{}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An agent enrolled through the API connects; its backends show with health; revoking it
// through the API disconnects it at once and removes its backends.
func TestAgentConnectedAndRevoked(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	var en api.EnrolledAgent
	owner.must(201, "POST", "/agents", api.EnrollAgentRequest{ID: "laptop"}, &en)
	runAgent(t, h, "laptop", en.Key, echoMCP(t))
	waitFor(t, "agent connected", func() bool { return agentState(t, owner, "laptop").Connected })
	a := agentState(t, owner, "laptop")
	if a.Session == nil || a.Session.Version != "api-test" || a.Session.Backends != 1 {
		t.Fatalf("connected agent: %+v %+v", a, a.Session)
	}
	var bs api.List[api.Backend]
	waitFor(t, "agent backend ready", func() bool {
		owner.must(200, "GET", "/backends", nil, &bs)
		for _, b := range bs.Items {
			if b.Agent == "laptop" && b.Name == "tools" && b.State == "ready" && b.Source == api.SourceAgent && b.Tools == 1 {
				return true
			}
		}
		return false
	})

	revoked := time.Now()
	owner.must(204, "DELETE", "/agents/laptop", nil, nil)
	waitFor(t, "agent disconnected", func() bool { return !agentState(t, owner, "laptop").Connected })
	// At once, not at the hub's periodic revocation check.
	if d := time.Since(revoked); d >= server.RevocationCheck/2 {
		t.Fatalf("disconnected %s after the revocation", d)
	}
	if a := agentState(t, owner, "laptop"); a.RevokedAt == nil {
		t.Fatalf("revoked agent: %+v", a)
	}
	waitFor(t, "agent backends gone", func() bool {
		var bs api.List[api.Backend]
		owner.must(200, "GET", "/backends", nil, &bs)
		for _, b := range bs.Items {
			if b.Agent == "laptop" {
				return false
			}
		}
		return true
	})
}
