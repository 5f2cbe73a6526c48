package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	agentconfig "github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/server"
	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
)

// The REST API and the agents' tunnel answer only to the hub's own names, like /mcp: a
// web page whose name an attacker made resolve to 127.0.0.1 (DNS rebinding) sends its own
// name as Host and is refused with 403 naming the host; the loopback names, the host of
// public_url and the names in allowed_hosts are served, and a real agent still connects.
func TestHostCheckedOnAPIAndAgentTunnel(t *testing.T) {
	h := hubtest.Start(t, func(c *config.Config) { c.PublicURL = "https://mcp.example.com" })
	agentKey := h.EnrollAgent(t, "laptop")
	port := h.URL[strings.LastIndex(h.URL, ":")+1:]

	do := func(path, host, key string, upgrade bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, h.URL+path, nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+key)
		if upgrade {
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port, "mcp.example.com.evil.example"} {
		st, body := do("/api/v1/auth/me", host, h.OwnerKey, false)
		var e struct {
			Error struct{ Code, Message string }
		}
		if st != http.StatusForbidden || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "forbidden" ||
			!strings.Contains(e.Error.Message, "host "+host+" is not allowed") {
			t.Errorf("/api/v1 for Host %s: %d %s; want 403 naming the host", host, st, body)
		}
		if st, body := do("/api/v1/agent/releases/latest", host, h.OwnerKey, false); st != http.StatusForbidden || !strings.Contains(body, "is not allowed") {
			t.Errorf("releases for Host %s: %d %s; want 403", host, st, body)
		}
		if st, body := do("/agent/ws", host, agentKey, true); st != http.StatusForbidden || !strings.Contains(body, "host "+host+" is not allowed") {
			t.Errorf("/agent/ws for Host %s: %d %s; want 403 naming the host", host, st, body)
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LocalHost", "[::1]:" + port, "mcp.example.com", "MCP.example.com:443"} {
		if st, body := do("/api/v1/auth/me", host, h.OwnerKey, false); st != http.StatusOK {
			t.Errorf("/api/v1 for Host %s: %d %s; want 200", host, st, body)
		}
		// Past the Host check, a bad key is what is refused.
		if st, body := do("/agent/ws", host, "mcpgw_wrong", true); st != http.StatusUnauthorized {
			t.Errorf("/agent/ws for Host %s with a wrong key: %d %s; want 401", host, st, body)
		}
	}

	// A real agent, by address and by name.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, url := range []string{h.AgentURL(), "ws://localhost:" + port + "/agent/ws"} {
		w, err := connector.Check(ctx, agentconfig.Agent{AgentID: "laptop", GatewayURL: url, APIKey: agentKey}, connector.Options{HandshakeTimeout: 30 * time.Second})
		if err != nil || w.AgentID != "laptop" {
			t.Errorf("agent at %s: welcome %+v, err %v", url, w, err)
		}
	}
	// allowed_hosts replaces the defaults.
	h2 := hubtest.Start(t, func(c *config.Config) { c.AllowedHosts = []string{"hub.internal"} })
	_, err := connector.Check(ctx, agentconfig.Agent{AgentID: "laptop", GatewayURL: h2.AgentURL(), APIKey: h2.EnrollAgent(t, "laptop")}, connector.Options{HandshakeTimeout: 30 * time.Second})
	if !errors.Is(err, connector.ErrRefused) || !strings.Contains(err.Error(), "is not allowed") {
		t.Errorf("agent at 127.0.0.1 of a hub with allowed_hosts = [hub.internal]: %v; want refused naming the host", err)
	}
}

// A hub on a non-loopback address without allowed_hosts answers any Host: it says so at
// start, naming the setting; with allowed_hosts, or on loopback, it does not.
func TestAnyHostIsWarnedAbout(t *testing.T) {
	for _, c := range []struct {
		listen string
		hosts  []string
		warn   bool
	}{
		{"0.0.0.0:0", nil, true},
		{"0.0.0.0:0", []string{"hub.example.com"}, false},
		{"127.0.0.1:0", nil, false},
	} {
		cfg := config.Default()
		cfg.DataDir, cfg.Listen, cfg.AllowedHosts = t.TempDir(), c.listen, c.hosts
		logs := &syncbuf.Buffer{}
		s, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		s.Audit.Close()
		s.Store.Close()
		if got := strings.Contains(logs.String(), "list the names clients use in allowed_hosts"); got != c.warn {
			t.Errorf("listen %s, allowed_hosts %v: warned %v, want %v\n%s", c.listen, c.hosts, got, c.warn, logs)
		}
	}
}
