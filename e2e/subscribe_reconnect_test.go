package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
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

// subsBackend is the agent's backend whose resource a test client subscribes to.
type subsBackend struct {
	name   string // the backend's name at the agent
	config string // its [[backends]] entry
	tool   string // an exposed tool that shows it is ready
	match  string // a part of the exposed URI of the resource to subscribe to
	toggle string // a tool that starts the server's updates, if it needs one (per process)
}

// TestSubscriptionSurvivesAgentReconnect: a client subscribed to a resource of an agent's
// backend keeps getting notifications/resources/updated after the agent comes back (issue
// 10, item 20), in both client eras: a session-based client (resources/subscribe) and a
// stateless one (subscriptions/listen); with a legacy backend (server-everything over
// stdio) and a modern one (go-sdk's conformance server in its stateless 2026-07-28 mode
// over HTTP, whose subscriptions the agent's backend layer keeps). "cut": the tunnel is
// cut by a TCP proxy and the same agent process reconnects (its backends kept running and
// kept the subscription). "restart": the agent process stops and a new one starts, whose
// backends know no subscription (new server processes; new backend sessions); the hub
// makes it again. Without the hub's renewal no update arrives after a restart.
func TestSubscriptionSurvivesAgentReconnect(t *testing.T) {
	everything := npmBin(t, "mcp-server-everything")
	legacy := subsBackend{name: "everything", tool: "laptop__everything__echo", match: "laptop__everything",
		toggle: "laptop__everything__toggle-subscriber-updates",
		config: fmt.Sprintf("[[backends]]\nname = \"everything\"\ntransport = \"stdio\"\ncommand = %q\n", everything)}
	for _, era := range []string{"2025-11-25", "2026-07-28"} {
		for _, how := range []string{"cut", "restart"} {
			t.Run("legacy/"+era+"/"+how, func(t *testing.T) { subscriptionSurvives(t, legacy, era, how) })
		}
	}
	port := startOnFreePort(t, conformanceServer(t), func(port int) ([]string, []string) {
		return nil, []string{fmt.Sprintf("-http=127.0.0.1:%d", port), "-stateless=true"}
	}, func(port int) string { return fmt.Sprintf("http://127.0.0.1:%d/mcp", port) })
	modern := subsBackend{name: "conf", tool: "laptop__conf__test_simple_text", match: "watched-resource",
		config: fmt.Sprintf("[[backends]]\nname = \"conf\"\ntransport = \"http\"\nurl = \"http://127.0.0.1:%d/mcp\"\n", port)}
	for _, era := range []string{"2025-11-25", "2026-07-28"} {
		t.Run("modern/"+era+"/restart", func(t *testing.T) { subscriptionSurvives(t, modern, era, "restart") })
	}
}

func subscriptionSurvives(t *testing.T, b subsBackend, era, how string) {
	hub := hubtest.Start(t, nil)
	proxy := startCutProxy(t, strings.TrimPrefix(hub.URL, "http://"))
	key := hub.EnrollAgent(t, "laptop")
	conf := filepath.Join(t.TempDir(), "config.toml")
	agentConf := fmt.Sprintf("[agent]\nagent_id = \"laptop\"\ngateway_url = %q\napi_key = %q\n\n%s",
		"ws://"+proxy.ln.Addr().String()+"/agent/ws", key, b.config)
	if err := os.WriteFile(conf, []byte(agentConf), 0o600); err != nil {
		t.Fatal(err)
	}
	agentBin := buildBinary(t, "agent/cmd/mcp-gateway-agent")
	agent := start(t, nil, agentBin, "run", "--headless", "--config", conf)
	m := &mesh{hub: hub}
	m.waitTools(t, b.tool)

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
		if strings.Contains(r.URI, b.match) {
			uri = r.URI
			break
		}
	}
	if uri == "" {
		t.Fatalf("no resource matching %q listed", b.match)
	}
	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); err != nil {
		t.Fatalf("subscribe %s: %v", uri, err)
	}
	toggle := func() {
		if b.toggle == "" {
			return
		}
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: b.toggle}); err != nil {
			t.Fatal(err)
		}
	}
	toggle()
	waitFor(t, 60*time.Second, "a first resources/updated", func() bool { return updates.Load() > 0 })
	if got, _ := lastURI.Load().(string); got != uri {
		t.Errorf("updated %q, want the exposed %q", got, uri)
	}

	before := hub.Server.Agents.List()[0].ConnectedSince
	if how == "cut" {
		proxy.cut()
	} else {
		agent.stop()
		start(t, nil, agentBin, "run", "--headless", "--config", conf)
	}
	waitFor(t, 60*time.Second, "the agent to reconnect", func() bool {
		l := hub.Server.Agents.List()
		return len(l) == 1 && l[0].ConnectedSince.After(before)
	})
	m.waitTools(t, b.tool)
	if how == "restart" {
		toggle() // a new server process sends updates only once told to
	}
	seen := updates.Load()
	waitFor(t, 60*time.Second, "resources/updated after the agent reconnected", func() bool { return updates.Load() > seen+1 })
}
