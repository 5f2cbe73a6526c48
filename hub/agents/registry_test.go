package agents_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// The key is checked before the upgrade: 401 without or with an unknown key, 403 for a
// user key, and no tunnel in either case.
func TestAuthBeforeUpgrade(t *testing.T) {
	h := startHub(t, "")
	for _, c := range []struct {
		name, auth string
		status     int
		challenge  bool
		body       string
	}{
		{"missing key", "", 401, true, "missing agent key"},
		{"not bearer", "Basic Zm9vOmJhcg==", 401, true, "missing agent key"},
		{"unknown key", "Bearer mcpgw_nope", 401, true, "unknown, expired or revoked"},
		{"user key", "Bearer " + userKey, 403, false, "this is a user key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", h.srv.URL+"/agent/ws", nil)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || !strings.Contains(string(body), c.body) {
				t.Errorf("got %d %q, want %d with %q", resp.StatusCode, body, c.status, c.body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); (got != "") != c.challenge {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		})
	}
	if n := len(h.reg.List()); n != 0 {
		t.Errorf("%d agents registered after refused requests", n)
	}
	h.log.waitFor(t, "not an agent key", "key_id=key_alice", "remote=127.0.0.1")
}

// A hello for another agent id than the key's is refused, and logged with both ids.
func TestAgentIDMismatchRaw(t *testing.T) {
	h := startHub(t, "")
	a, typ, payload := dialRaw(t, h.url(), laptopKey, hello("desktop"))
	var r protocol.Refusal
	if typ != protocol.TypeRefusal || protocol.Decode(typ, payload, &r) != nil || r.Code != protocol.RefuseAgentID {
		t.Fatalf("got %s %s, want refusal %s", typ, payload, protocol.RefuseAgentID)
	}
	if !strings.Contains(r.Message, `bound to agent "laptop"`) {
		t.Errorf("message %q does not name the key's agent", r.Message)
	}
	h.log.waitFor(t, "level=WARN", "key_agent=laptop", "hello_agent=desktop", "remote=127.0.0.1")
	select {
	case <-a.sess.CloseChan():
	case <-time.After(5 * time.Second):
		t.Fatal("hub kept the refused session open")
	}
}

func TestBadHelloAndOldCapabilityRefused(t *testing.T) {
	h := startHub(t, "")
	old := hello("laptop")
	old.Capability = protocol.MinCapabilityVersion - 1
	for _, c := range []struct {
		name  string
		hello any
		code  string
	}{
		{"old capability", old, protocol.RefuseVersion},
		{"update before hello", protocol.Update{}, protocol.RefuseBadHello},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, typ, payload := dialRaw(t, h.url(), laptopKey, c.hello)
			var r protocol.Refusal
			if typ != protocol.TypeRefusal || protocol.Decode(typ, payload, &r) != nil || r.Code != c.code {
				t.Fatalf("got %s %s, want refusal %s", typ, payload, c.code)
			}
		})
	}
}

// Newest wins: a second connection with the same id replaces the first, which is told so.
// Repeated replacement is logged as a fight once per minute and shown in List.
func TestReplacementNewestWins(t *testing.T) {
	h := startHub(t, "")
	first, typ, _ := dialRaw(t, h.url(), laptopKey, hello("laptop"))
	if typ != protocol.TypeWelcome {
		t.Fatalf("first connection: %s", typ)
	}
	h.waitChange(t, "laptop", func(c change) bool { return c.connected })
	second, typ, _ := dialRaw(t, h.url(), laptopKey, hello("laptop"))
	if typ != protocol.TypeWelcome {
		t.Fatalf("second connection: %s", typ)
	}
	if r := first.nextRefusal(t); r.Code != protocol.RefuseReplaced {
		t.Errorf("first got %+v, want %s", r, protocol.RefuseReplaced)
	}
	c := h.waitChange(t, "laptop", func(change) bool { return true })
	if !c.connected {
		t.Fatal("the replaced session reported the agent gone")
	}
	list := h.reg.List()
	if len(list) != 1 || list[0].Replacements != 1 || list[0].Fighting {
		t.Fatalf("List = %+v", list)
	}
	if strings.Contains(h.log.String(), "fighting") {
		t.Fatal("one replacement reported as a fight")
	}
	last := second
	for range agents.FightThreshold + 2 {
		next, _, _ := dialRaw(t, h.url(), laptopKey, hello("laptop"))
		last.nextRefusal(t)
		last = next
	}
	h.log.waitFor(t, "level=WARN", "two agents are fighting over id laptop")
	if n := strings.Count(h.log.String(), "two agents are fighting"); n != 1 {
		t.Errorf("fight logged %d times, want once per minute", n)
	}
	list = h.reg.List()
	if len(list) != 1 || !list[0].Fighting || list[0].Replacements != agents.FightThreshold+3 {
		t.Errorf("List = %+v, want fighting with %d replacements", list, agents.FightThreshold+3)
	}
	select {
	case <-last.sess.CloseChan():
		t.Fatal("the newest connection was closed")
	default:
	}
}

func TestCallToUnknownAgentFailsAtOnce(t *testing.T) {
	h := startHub(t, "")
	_, err := h.reg.Call(context.Background(), "ghost", "fs", &backend.Call{Request: toolCall(t, 1, "x", nil, nil)})
	if !errors.Is(err, agents.ErrAgentGone) || err.Error() != `agent "ghost" is not connected` {
		t.Fatalf("err = %v", err)
	}
}

// The session dying mid-call fails the call at once with ErrAgentGone naming the agent, and
// the agent is reported gone.
func TestSessionDeathFailsCallInFlight(t *testing.T) {
	h := startHub(t, "")
	a, _, _ := dialRaw(t, h.url(), laptopKey, hello("laptop"))
	h.waitChange(t, "laptop", func(c change) bool { return c.connected })
	go func() {
		st, err := a.acceptCall()
		if err == nil {
			_, _, _ = protocol.ReadFrame(st) // the call; then the agent "dies"
			_ = a.sess.Close()
		}
	}()
	start := time.Now()
	_, err := h.reg.Call(context.Background(), "laptop", "fs", &backend.Call{Request: toolCall(t, 1, "x", nil, nil)})
	if !errors.Is(err, agents.ErrAgentGone) || !strings.Contains(err.Error(), `agent "laptop" disconnected`) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("call failed after %s, want at once", d)
	}
	h.waitChange(t, "laptop", func(c change) bool { return !c.connected && c.backends == nil })
}

// A cancelled call returns ctx's error at once; the agent sees Cancel, then the stream's end.
func TestCancelReachesAgent(t *testing.T) {
	h := startHub(t, "")
	a, _, _ := dialRaw(t, h.url(), laptopKey, hello("laptop"))
	h.waitChange(t, "laptop", func(c change) bool { return c.connected })
	seen := make(chan []protocol.Type, 1)
	go func() {
		st, err := a.acceptCall()
		if err != nil {
			return
		}
		var types []protocol.Type
		for {
			typ, _, err := protocol.ReadFrame(st)
			if err != nil {
				seen <- types
				return
			}
			types = append(types, typ)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := h.reg.Call(ctx, "laptop", "fs", &backend.Call{Request: toolCall(t, 1, "x", nil, nil)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	select {
	case types := <-seen:
		if len(types) != 2 || types[0] != protocol.TypeCall || types[1] != protocol.TypeCancel {
			t.Errorf("agent saw %v, want [call cancel] then EOF", types)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the agent's stream did not end")
	}
}

// Close refuses connected agents with hub_closing, reports them gone, and answers later
// connections with 503.
func TestCloseRefusesAgents(t *testing.T) {
	h := startHub(t, "")
	a, _, _ := dialRaw(t, h.url(), laptopKey, hello("laptop"))
	h.waitChange(t, "laptop", func(c change) bool { return c.connected })
	go h.reg.Close()
	if r := a.nextRefusal(t); r.Code != protocol.RefuseHubClosing {
		t.Errorf("got %+v", r)
	}
	h.waitChange(t, "laptop", func(c change) bool { return !c.connected })
	req, _ := http.NewRequest("GET", h.srv.URL+"/agent/ws", nil)
	req.Header.Set("Authorization", "Bearer "+laptopKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Close: %d, want 503", resp.StatusCode)
	}
}
