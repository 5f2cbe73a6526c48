package api_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	agentconfig "github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// closedURL is an http URL where nothing listens: a backend there fails at each start.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/mcp"
}

// An agent's last-seen time is recorded when it connects and when it leaves, and GET
// /agents shows it for the offline agent; a backend that fails shows its restarts, when the
// last one was and why, for a hub-local backend and for one an agent reports alike.
func TestAgentLastSeenAndBackendRestarts(t *testing.T) {
	h := hubtest.Start(t, func(c *config.Config) {
		c.Backends = append(c.Backends, backend.Config{Name: "localdown", Transport: backend.TransportHTTP, URL: closedURL(t)})
	})
	owner := newClient(t, h, h.OwnerKey)
	var en api.EnrolledAgent
	owner.must(201, "POST", "/agents", api.EnrollAgentRequest{ID: "laptop"}, &en)
	if a := agentState(t, owner, "laptop"); a.LastSeen != nil {
		t.Fatalf("an agent that never connected shows last seen %s", a.LastSeen)
	}

	cfg := agentconfig.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = "laptop", h.AgentURL(), en.Key
	cfg.Backends = []backend.Config{{Name: "down", Transport: backend.TransportHTTP, URL: closedURL(t)}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ag, err := connector.New(cfg, connector.Options{Logger: slog.New(slog.DiscardHandler), Version: "api-test",
		RefusedRetry: time.Minute, Backoff: connector.Backoff{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	defer cancel()

	var seen time.Time
	waitFor(t, "connected agent seen", func() bool {
		a := agentState(t, owner, "laptop")
		if a.Connected && a.LastSeen != nil {
			seen = *a.LastSeen
		}
		return !seen.IsZero()
	})
	for _, want := range []struct{ agent, name string }{{"", "localdown"}, {"laptop", "down"}} {
		waitFor(t, want.name+" restarted", func() bool {
			var bs api.List[api.Backend]
			owner.must(200, "GET", "/backends", nil, &bs)
			for _, b := range bs.Items {
				if b.Agent == want.agent && b.Name == want.name {
					return b.Restarts >= 1 && b.LastRestart != nil && b.LastError != "" &&
						time.Since(*b.LastRestart) < time.Hour
				}
			}
			return false
		})
	}

	cancel()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("agent did not stop")
	}
	left := time.Now()
	waitFor(t, "offline agent with its last seen at the disconnection", func() bool {
		a := agentState(t, owner, "laptop")
		// Later than at the connection: written again as it left.
		return !a.Connected && a.LastSeen != nil && a.LastSeen.After(seen) && !a.LastSeen.Before(left.Add(-2*time.Second))
	})
}
