package agents_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// Updates merge into the agent's list (full entries replace, Removed drops) and reach
// OnChange as the whole list; events reach OnEvent.
func TestUpdatesAndEventsFromControlStream(t *testing.T) {
	h := startHub(t, "")
	hi := hello("laptop")
	hi.Backends = []protocol.Backend{{Name: "fs", State: protocol.StateStarting}, {Name: "git", State: protocol.StateReady}}
	a, typ, _ := dialRaw(t, h.url(), laptopKey, hi)
	if typ != protocol.TypeWelcome {
		t.Fatalf("got %s", typ)
	}
	c := h.waitChange(t, "laptop", func(c change) bool { return c.connected })
	if len(c.backends) != 2 || c.backends[0].Name != "fs" || c.backends[1].Name != "git" {
		t.Fatalf("hello backends = %+v", c.backends)
	}
	up := protocol.Update{Backends: []protocol.Backend{{Name: "fs", State: protocol.StateReady}}, Removed: []string{"git"}}
	if err := protocol.WriteJSON(a.ctrl, protocol.TypeUpdate, up); err != nil {
		t.Fatal(err)
	}
	c = h.waitChange(t, "laptop", func(change) bool { return true })
	if !c.connected || len(c.backends) != 1 || c.backends[0].Name != "fs" || c.backends[0].State != protocol.StateReady {
		t.Fatalf("after update = %+v", c)
	}
	if got := h.reg.List(); len(got) != 1 || got[0].Backends != 1 {
		t.Errorf("List = %+v", got)
	}
	ev := protocol.Event{Backend: "fs", Message: json.RawMessage(`{"jsonrpc":"2.0","method":"notifications/resources/updated","params":{"uri":"file:///a"}}`)}
	if err := protocol.WriteJSON(a.ctrl, protocol.TypeEvent, ev); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-h.events:
		if got.Backend != "fs" || !strings.Contains(string(got.Message), "file:///a") {
			t.Errorf("event = %+v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
}

// A tunnel that never sends hello is closed after HelloTimeout.
func TestHelloTimeout(t *testing.T) {
	h := startHub(t, "", func(o *agents.Options) { o.HelloTimeout = 200 * time.Millisecond })
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+laptopKey)
	sess, _, err := tunnel.Dial(context.Background(), tunnel.DialConfig{URL: h.url(), Header: hdr})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	select {
	case <-sess.CloseChan():
	case <-time.After(5 * time.Second):
		t.Fatal("a silent agent was kept")
	}
	h.log.waitFor(t, "agent opened no control stream", "key_agent=laptop")
}

// A stream write that cannot finish in time closes the whole session (yamux advisory
// GHSA-29qp-crvh-w22m): here the agent never reads a call bigger than the stream window.
// The same holds on a direct lane (capability 4) as on a yamux lane (3).
func TestStuckWriteClosesSession(t *testing.T) {
	for _, capability := range []int{protocol.CapabilityDirect, protocol.CapabilityLanes} {
		t.Run(fmt.Sprint("capability ", capability), func(t *testing.T) { stuckWriteClosesSession(t, capability) })
	}
}

func stuckWriteClosesSession(t *testing.T, capability int) {
	h := startHub(t, "", func(o *agents.Options) { o.WriteTimeout = 300 * time.Millisecond })
	hl := hello("laptop")
	hl.Capability = capability
	a, _, _ := dialRaw(t, h.url(), laptopKey, hl)
	h.waitChange(t, "laptop", func(c change) bool { return c.connected })
	if direct := agents.CallStreamsDirect(h.reg, "laptop"); direct != (capability >= protocol.CapabilityDirect) {
		t.Fatalf("capability %d: direct lanes %v", capability, direct)
	}
	big := strings.Repeat("x", 4<<20) // well above the 1 MiB window
	start := time.Now()
	_, err := h.reg.Call(context.Background(), "laptop", "fs", &backend.Call{Request: toolCall(t, 1, "write", map[string]any{"data": big}, nil)})
	if !errors.Is(err, agents.ErrAgentGone) {
		t.Fatalf("err = %v, want ErrAgentGone", err)
	}
	if d := time.Since(start); d > 30*time.Second { // 300 ms expected; generous for a starved machine
		t.Errorf("stuck write gave up after %s", d)
	}
	select {
	case <-a.sess.CloseChan():
	case <-time.After(30 * time.Second):
		t.Fatal("session still open after a stuck write")
	}
	h.waitChange(t, "laptop", func(c change) bool { return !c.connected })
}
