package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// [limits] max_concurrent_agent_handshakes reaches the hub's /agent/ws: with a cap of 1, an
// agent that holds its handshake open (no hello yet) makes the next one get 503 with
// Retry-After before any upgrade; once the first is welcomed, the second gets in.
func TestAgentHandshakeCapFromConfig(t *testing.T) {
	h := hubtest.Start(t, func(c *config.Config) {
		c.Limits.AgentHandshakesPerSecond, c.Limits.MaxConcurrentAgentHandshakes = 0, 1
	})
	dialAgent := func(id string) (*tunnelAgent, error) {
		hdr := http.Header{}
		hdr.Set("Authorization", "Bearer "+h.EnrollAgent(t, id))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sess, _, err := tunnel.Dial(ctx, tunnel.DialConfig{URL: h.AgentURL(), Header: hdr})
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { _ = sess.Close() })
		return &tunnelAgent{id: id, sess: sess}, nil
	}
	first, err := dialAgent("first")
	if err != nil {
		t.Fatal(err)
	}
	_, err = dialAgent("second")
	var hs *tunnel.HandshakeError
	if !errors.As(err, &hs) || hs.StatusCode != http.StatusServiceUnavailable || hs.RetryAfter < time.Second {
		t.Fatalf("second agent during the first's handshake: %v, want 503 with Retry-After", err)
	}
	req, _ := http.NewRequest(http.MethodGet, h.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+h.OwnerKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "\nmcpgw_agent_handshakes_deferred_total 1\n") {
		t.Errorf("/metrics does not count the deferred handshake:\n%s", b)
	}
	first.hello(t)
	second, err := dialAgent("second")
	if err != nil {
		t.Fatalf("second agent after the first was welcomed: %v", err)
	}
	second.hello(t)
}

type tunnelAgent struct {
	id   string
	sess *tunnel.Session
}

// hello completes the handshake: hello, then welcome.
func (a *tunnelAgent) hello(t *testing.T) {
	t.Helper()
	ctrl, err := a.sess.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	h := protocol.Hello{AgentID: a.id, Version: "test", Capability: protocol.CapabilityVersion}
	if err := protocol.WriteJSON(ctrl, protocol.TypeHello, h); err != nil {
		t.Fatal(err)
	}
	_ = ctrl.SetReadDeadline(time.Now().Add(30 * time.Second))
	var w protocol.Welcome
	if err := protocol.ReadJSON(ctrl, protocol.TypeWelcome, &w); err != nil {
		t.Fatalf("%s: no welcome: %v", a.id, err)
	}
}
