package agents_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// runConnector runs a real agent connector with no backends until the test ends.
func runConnector(t *testing.T, url, id string, backoff connector.Backoff) *logBuf {
	t.Helper()
	cfg := config.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = id, url, laptopKey
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := &logBuf{}
	a, err := connector.New(cfg, connector.Options{Logger: log.logger(), Version: "agent-test", Backoff: backoff})
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
		case <-time.After(30 * time.Second):
			t.Error("agent did not stop within 30 s")
		}
	})
	return log
}

// quietHub is a test hub whose OnChange does not block: a fight makes many changes.
func quietHub(t *testing.T, window time.Duration) *testHub {
	return startHub(t, "", func(o *agents.Options) {
		o.OnChange = func(string, []protocol.Backend, bool) {}
		o.FightWindow = window
	})
}

func waitUntil(t *testing.T, what string, log *logBuf, cond func() bool) {
	t.Helper()
	if !waitfor.Poll(60*time.Second, cond) {
		t.Fatalf("timed out after 60 s waiting for %s; hub log:\n%s", what, log.String())
	}
}

// Regression (issue 10 item 17): two agent processes with one id. The one pushed out waits
// its longest backoff before it takes the id back, so they swap at that pace (30 s by
// default, 2 s here) and the old rule, more than 3 replacements within the window (3 s
// here, a minute by default), never fired. The hub now tells the processes apart by the
// instance in their hello: the fight is shown in List, counted by Fighting (the metric) and
// logged.
func TestTwoAgentsWithOneIDFight(t *testing.T) {
	h := quietHub(t, 3*time.Second)
	slow := connector.Backoff{Base: 20 * time.Millisecond, Max: 2 * time.Second}
	runConnector(t, h.url(), "laptop", slow)
	waitUntil(t, "the first agent", h.log, func() bool { return h.reg.Connected("laptop") })
	runConnector(t, h.url(), "laptop", slow)
	waitUntil(t, "the id marked fighting", h.log, func() bool {
		list := h.reg.List()
		return len(list) == 1 && list[0].Fighting && h.reg.Fighting() == 1
	})
	h.log.waitFor(t, "level=WARN", "two agents are fighting over id laptop")
	if list := h.reg.List(); list[0].Replacements < 2 {
		t.Errorf("List = %+v, want at least 2 replacements", list)
	}
}

// dropProxy forwards TCP to target. drop closes the agent's side of every connection and
// leaves the hub's side open, as a network that dies without a word does: the hub still
// holds the old session when the agent reconnects.
type dropProxy struct {
	ln     net.Listener
	mu     sync.Mutex
	client []net.Conn
	hub    []net.Conn
}

func startDropProxy(t *testing.T, target string) *dropProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln}
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
			p.client, p.hub = append(p.client, c), append(p.hub, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c) }() // ends at drop; u stays open
			go func() { _, _ = io.Copy(c, u) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range append(p.client, p.hub...) {
			c.Close()
		}
	})
	return p
}

func (p *dropProxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.client {
		c.Close()
	}
	p.client = nil
}

// One agent whose connection dies silently, again and again, reconnects before the hub sees
// the old tunnel end: each reconnection replaces its own older session. That is no fight,
// however often it happens (the old rule would have called 5 within a minute one).
func TestReconnectOfOneAgentIsNoFight(t *testing.T) {
	h := quietHub(t, 0)
	proxy := startDropProxy(t, strings.TrimPrefix(h.srv.URL, "http://"))
	url := "ws://" + proxy.ln.Addr().String() + "/agent/ws"
	runConnector(t, url, "laptop", connector.Backoff{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond})
	waitUntil(t, "the agent", h.log, func() bool { return h.reg.Connected("laptop") })
	const drops = agents.FightThreshold + 2
	for i := 1; i <= drops; i++ {
		proxy.drop()
		waitUntil(t, "the reconnection", h.log, func() bool {
			list := h.reg.List()
			return len(list) == 1 && list[0].Replacements == i
		})
	}
	if list := h.reg.List(); list[0].Fighting || h.reg.Fighting() != 0 {
		t.Errorf("List = %+v, Fighting() = %d: a reconnection counted as a fight", list, h.reg.Fighting())
	}
	if strings.Contains(h.log.String(), "fighting") {
		t.Errorf("a reconnection logged as a fight:\n%s", h.log.String())
	}
	h.log.waitFor(t, "agent reconnected before its old connection was seen to end")
}

// Incarnation stays the same while one agent process reconnects (its backends, and what
// their sessions hold, kept running) and differs for another process, or for each
// connection of an agent that sends no instance (issue 10, item 20: the hub renews
// resource subscriptions when it changes).
func TestIncarnation(t *testing.T) {
	h := quietHub(t, 0)
	proxy := startDropProxy(t, strings.TrimPrefix(h.srv.URL, "http://"))
	runConnector(t, "ws://"+proxy.ln.Addr().String()+"/agent/ws", "laptop", connector.Backoff{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond})
	waitUntil(t, "the agent", h.log, func() bool { return h.reg.Connected("laptop") })
	first := h.reg.Incarnation("laptop")
	if !strings.HasPrefix(first, "instance:") {
		t.Fatalf("Incarnation = %q, want the agent's instance", first)
	}
	proxy.drop()
	waitUntil(t, "the reconnection", h.log, func() bool {
		list := h.reg.List()
		return len(list) == 1 && list[0].Replacements == 1
	})
	if got := h.reg.Incarnation("laptop"); got != first {
		t.Errorf("after a reconnection of the same process Incarnation = %q, want %q", got, first)
	}
	if got := h.reg.Incarnation("nobody"); got != "" {
		t.Errorf("Incarnation of an agent not connected = %q", got)
	}

	// An older agent sends no instance: each connection counts as a new process.
	old := quietHub(t, 0)
	var seen []string
	for range 2 {
		if _, typ, _ := dialRaw(t, old.url(), laptopKey, hello("laptop")); typ != protocol.TypeWelcome {
			t.Fatalf("hello answered with %s", typ)
		}
		seen = append(seen, old.reg.Incarnation("laptop"))
	}
	if seen[0] == seen[1] || !strings.HasPrefix(seen[0], "connection:") || !strings.HasPrefix(seen[1], "connection:") {
		t.Errorf("incarnations of two instance-less connections: %q", seen)
	}
}
