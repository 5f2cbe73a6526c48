package e2e

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// cutProxy forwards TCP from an agent to the hub; cut closes every connection it carries,
// as a network outage would, while new connections still go through.
type cutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestSubscriptionSurvivesAgentReconnect: a client subscribed to a resource of an agent's
// backend keeps getting notifications/resources/updated after the agent comes back (issue
// 10, item 20), in both client eras: a session-based client (resources/subscribe) and a
// stateless one (subscriptions/listen). "cut": the tunnel is cut by a TCP proxy and the
// same agent process reconnects (its servers kept running and kept the subscription).
// "restart": the agent process stops and a new one starts, with new server processes
// that know no subscription; the hub makes it again. Without the hub's renewal the
// restart case gets no update after the agent is back.
func TestSubscriptionSurvivesAgentReconnect(t *testing.T) {
	for _, era := range []string{"2025-11-25", "2026-07-28"} {
		for _, how := range []string{"cut", "restart"} {
			t.Run(era+"/"+how, func(t *testing.T) { subscriptionSurvives(t, era, how) })
		}
	}
}

func subscriptionSurvives(t *testing.T, era, how string) {
	everything := npmBin(t, "mcp-server-everything")
	hub := hubtest.Start(t, nil)
	proxy := startCutProxy(t, strings.TrimPrefix(hub.URL, "http://"))
	key := hub.EnrollAgent(t, "laptop")
	conf := writeAgentConfig(t, "ws://"+proxy.ln.Addr().String()+"/agent/ws", key, everything)
	agent := start(t, nil, buildBinary(t, "agent/cmd/mcp-gateway-agent"), "run", "--headless", "--config", conf)
	m := &mesh{hub: hub}
	m.waitTools(t, "laptop__everything__toggle-subscriber-updates")

	var updates atomic.Int64
	var lastURI atomic.Value
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-subscriber", Version: "1"}, &mcp.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
			lastURI.Store(r.Params.URI)
			updates.Add(1)
		},
	})
	ctx := ctxFor(t, 4*time.Minute)
	var opts *mcp.ClientSessionOptions
	if era != "2026-07-28" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: era}
	}
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hub.MCPURL(), HTTPClient: authClient(hub.OwnerKey)}, opts)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer cs.Close()
	var uri string
	for r, err := range cs.Resources(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.URI, "laptop__everything") {
			uri = r.URI
			break
		}
	}
	if uri == "" {
		t.Fatal("no resource of laptop/everything listed")
	}
	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); err != nil {
		t.Fatalf("subscribe %s: %v", uri, err)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__toggle-subscriber-updates"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "a first resources/updated", func() bool { return updates.Load() > 0 })
	if got, _ := lastURI.Load().(string); got != uri {
		t.Errorf("updated %q, want the exposed %q", got, uri)
	}

	before := hub.Server.Agents.List()[0].ConnectedSince
	if how == "cut" {
		proxy.cut()
	} else {
		agent.stop()
		start(t, nil, buildBinary(t, "agent/cmd/mcp-gateway-agent"), "run", "--headless", "--config", conf)
		m.waitTools(t, "laptop__everything__toggle-subscriber-updates")
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__toggle-subscriber-updates"}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 60*time.Second, "the agent to reconnect", func() bool {
		l := hub.Server.Agents.List()
		return len(l) == 1 && l[0].ConnectedSince.After(before)
	})
	m.waitTools(t, "laptop__everything__toggle-subscriber-updates")
	seen := updates.Load()
	waitFor(t, 60*time.Second, "resources/updated after the agent reconnected", func() bool { return updates.Load() > seen+1 })
}
