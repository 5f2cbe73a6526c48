package connector

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// These tests run the connector against a scripted hub built from the tunnel package alone
// (agent/ must not import hub/); hub/agents has the end-to-end tests with the real registry.

type syncBuf struct{ syncbuf.Buffer }

func (s *syncBuf) waitFor(t *testing.T, subs ...string) {
	t.Helper()
	hasLine := func(out string) bool {
		for _, line := range strings.Split(out, "\n") {
			ok := true
			for _, sub := range subs {
				ok = ok && strings.Contains(line, sub)
			}
			if ok {
				return true
			}
		}
		return false
	}
	if !s.Wait(time.Minute, hasLine) {
		t.Fatalf("no log line with %q in:\n%s", subs, s.String())
	}
}

// fakeHub accepts tunnels and hands each session's control stream and request to the test.
type fakeHub struct {
	srv   *httptest.Server
	conns chan hubConn
	auth  func(w http.ResponseWriter, r *http.Request) bool
}

type hubConn struct {
	sess *tunnel.Session
	ctrl *yamux.Stream
	req  *http.Request
}

func startFakeHub(t testing.TB, auth func(http.ResponseWriter, *http.Request) bool) *fakeHub {
	h := &fakeHub{conns: make(chan hubConn, 4), auth: auth}
	up := tunnel.NewUpgrader(tunnel.Config{})
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.auth != nil && !h.auth(w, r) {
			return
		}
		sess, err := up.Accept(w, r)
		if err != nil {
			return
		}
		ctrl, err := sess.AcceptStream()
		if err != nil {
			return
		}
		h.conns <- hubConn{sess, ctrl, r}
		<-sess.CloseChan()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHub) url() string { return "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/agent/ws" }

func (h *fakeHub) next(t testing.TB) hubConn {
	t.Helper()
	select {
	case c := <-h.conns:
		t.Cleanup(func() { _ = c.sess.Close() })
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the agent did not connect")
		return hubConn{}
	}
}

func startTestAgent(t testing.TB, url string, opts Options) (*Agent, *syncBuf) {
	t.Helper()
	logs := &syncBuf{}
	cfg := config.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = "laptop", url, "mcpgw_secret"
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return runAgent(t, cfg, opts), logs
}

// runAgent runs an agent of cfg until the test ends.
func runAgent(t testing.TB, cfg *config.Config, opts Options) *Agent {
	t.Helper()
	a, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return a
}

func readJSON(t testing.TB, r *yamux.Stream, want protocol.Type, v any) {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := protocol.ReadJSON(r, want, v); err != nil {
		t.Fatal(err)
	}
}

// Hello carries the id, headers carry the key; after welcome, backend changes go up as
// Update frames and backend notifications as Event frames.
func TestHelloUpdatesAndEvents(t *testing.T) {
	h := startFakeHub(t, nil)
	a, logs := startTestAgent(t, h.url(), Options{Version: "v-test"})
	c := h.next(t)
	if got := c.req.Header.Get("Authorization"); got != "Bearer mcpgw_secret" {
		t.Errorf("Authorization = %q", got)
	}
	if got := c.req.Header.Get(AgentIDHeader); got != "laptop" {
		t.Errorf("%s = %q", AgentIDHeader, got)
	}
	var hello protocol.Hello
	readJSON(t, c.ctrl, protocol.TypeHello, &hello)
	if hello.AgentID != "laptop" || hello.Version != "v-test" || hello.Capability != protocol.CapabilityVersion {
		t.Errorf("hello = %+v", hello)
	}
	if err := protocol.WriteJSON(c.ctrl, protocol.TypeWelcome, protocol.Welcome{AgentID: "laptop", HubVersion: "h"}); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, "connected to the hub", "hub_version=h")

	a.out.backendChanged(protocol.Backend{Name: "fs", State: protocol.StateReady})
	var up protocol.Update
	readJSON(t, c.ctrl, protocol.TypeUpdate, &up)
	if len(up.Backends) != 1 || up.Backends[0].Name != "fs" || up.Backends[0].State != protocol.StateReady {
		t.Errorf("update = %+v", up)
	}
	a.out.backendEvent("fs", &jsonrpc.Request{Method: "notifications/resources/updated", Params: json.RawMessage(`{"uri":"file:///x"}`)})
	var ev protocol.Event
	readJSON(t, c.ctrl, protocol.TypeEvent, &ev)
	if ev.Backend != "fs" || !strings.Contains(string(ev.Message), `"uri":"file:///x"`) {
		t.Errorf("event = %+v %s", ev, ev.Message)
	}
}

// How the agent reacts to each way of being turned away: it never exits, and it waits
// longer when retrying soon cannot help.
func TestRefusalsAndRetries(t *testing.T) {
	opts := Options{Backoff: Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}, RefusedRetry: time.Hour}
	t.Run("replaced", func(t *testing.T) {
		h := startFakeHub(t, nil)
		_, logs := startTestAgent(t, h.url(), opts)
		c := h.next(t)
		readJSON(t, c.ctrl, protocol.TypeHello, &protocol.Hello{})
		_ = protocol.WriteJSON(c.ctrl, protocol.TypeWelcome, protocol.Welcome{})
		_ = protocol.WriteJSON(c.ctrl, protocol.TypeRefusal, protocol.Refusal{Code: protocol.RefuseReplaced, Message: "newer from 10.0.0.2"})
		_ = c.sess.Close()
		logs.waitFor(t, "level=WARN", "same agent id", `hub_message="newer from 10.0.0.2"`, "retry_in=50ms")
		h.next(t) // and it does come back
	})
	t.Run("hub closing", func(t *testing.T) {
		h := startFakeHub(t, nil)
		_, logs := startTestAgent(t, h.url(), opts)
		c := h.next(t)
		readJSON(t, c.ctrl, protocol.TypeHello, &protocol.Hello{})
		_ = protocol.WriteJSON(c.ctrl, protocol.TypeRefusal, protocol.Refusal{Code: protocol.RefuseHubClosing})
		_ = c.sess.Close()
		logs.waitFor(t, "level=INFO", "the hub is shutting down; reconnecting")
		h.next(t)
	})
	t.Run("hub closing after welcome, again and again", func(t *testing.T) {
		// Each welcomed connection that a draining hub ends is followed by a wait within
		// Base, not a growing one: in a rolling restart an agent moves several times.
		o := opts
		o.Backoff = Backoff{Base: 10 * time.Millisecond, Max: time.Hour, Rand: func(n int64) int64 { return n - 1 }}
		h := startFakeHub(t, nil)
		_, logs := startTestAgent(t, h.url(), o)
		for range 4 {
			c := h.next(t)
			readJSON(t, c.ctrl, protocol.TypeHello, &protocol.Hello{})
			_ = protocol.WriteJSON(c.ctrl, protocol.TypeWelcome, protocol.Welcome{})
			_ = protocol.WriteJSON(c.ctrl, protocol.TypeRefusal, protocol.Refusal{Code: protocol.RefuseHubClosing})
			_ = c.sess.Close()
		}
		h.next(t)
		if n := strings.Count(logs.String(), "the hub is shutting down; reconnecting"); n != 4 {
			t.Fatalf("%d hub_closing lines, want 4:\n%s", n, logs)
		}
		if n := strings.Count(logs.String(), "retry_in=10ms"); n != 4 {
			t.Errorf("want each of the 4 waits at most Base (10ms), have %d such:\n%s", n, logs)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		h := startFakeHub(t, nil)
		_, logs := startTestAgent(t, h.url(), opts)
		c := h.next(t)
		readJSON(t, c.ctrl, protocol.TypeHello, &protocol.Hello{})
		_ = protocol.WriteJSON(c.ctrl, protocol.TypeRefusal, protocol.Refusal{Code: protocol.RefuseRevoked, Message: "key revoked"})
		logs.waitFor(t, "level=ERROR", "the hub refused this agent", "code=revoked", `hub_message="key revoked"`, "retry_in=1h0m0s")
	})
	t.Run("unauthorized", func(t *testing.T) {
		h := startFakeHub(t, func(w http.ResponseWriter, _ *http.Request) bool {
			http.Error(w, "unknown, expired or revoked agent key", http.StatusUnauthorized)
			return false
		})
		_, logs := startTestAgent(t, h.url(), opts)
		logs.waitFor(t, "level=ERROR", "check api_key", "status=401", "unknown, expired or revoked agent key", "retry_in=1h0m0s")
	})
	t.Run("unreachable", func(t *testing.T) {
		_, logs := startTestAgent(t, "ws://127.0.0.1:1/agent/ws", opts)
		retried := func(out string) bool { return strings.Count(out, "cannot connect to the hub; retrying") >= 3 }
		if !logs.Wait(time.Minute, retried) {
			t.Fatalf("the agent stopped retrying:\n%s", logs)
		}
	})
}
