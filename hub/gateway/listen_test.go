package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

// openListen opens a subscriptions/listen stream with the given notifications filter.
func (h *harness) openListen(id int, filter string) (*http.Response, *events) {
	h.t.Helper()
	resp := h.post("", modernBody(id, "subscriptions/listen", `{"notifications":`+filter+`}`, ""), modernHeaders("subscriptions/listen", ""))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		h.t.Fatalf("subscriptions/listen: status %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp, newEvents(resp.Body)
}

func subscriptionID(t *testing.T, m rpcMsg) string {
	t.Helper()
	var p struct {
		Meta map[string]json.RawMessage `json:"_meta"`
	}
	_ = json.Unmarshal(m.Params, &p)
	return string(p.Meta["io.modelcontextprotocol/subscriptionId"])
}

// TestListen: the stream acknowledges what it agreed to, then carries exactly the
// opted-in notifications, each with the subscription id.
func TestListen(t *testing.T) {
	h := newHarness(t, Config{})
	_, ev := h.openListen(41, `{"toolsListChanged":true,"resourceSubscriptions":["mcpgw://util/file:///a.txt","nowhere://x"]}`)
	ack := ev.nextMsg(t)
	if ack.Method != "notifications/subscriptions/acknowledged" || subscriptionID(t, ack) != "41" {
		t.Fatalf("first message %s %s", ack.Method, ack.Params)
	}
	var p struct{ Notifications filter }
	_ = json.Unmarshal(ack.Params, &p)
	if !p.Notifications.ToolsListChanged || p.Notifications.PromptsListChanged ||
		strings.Join(p.Notifications.ResourceSubscriptions, ",") != "mcpgw://util/file:///a.txt" {
		t.Errorf("acknowledged %+v", p.Notifications)
	}
	if c := h.up.last(); c.Method != "resources/subscribe" || !strings.Contains(string(c.Params), `"file:///a.txt"`) {
		t.Errorf("upstream got %s %s, want resources/subscribe of the backend's URI", c.Method, c.Params)
	}

	// Prompts were not asked for: a prompts-only change sends nothing, a tools change does.
	h.gw.ListChanged(router.Changes{Prompts: true})
	h.gw.ListChanged(router.Changes{Tools: true})
	m := ev.nextMsg(t)
	if m.Method != "notifications/tools/list_changed" || subscriptionID(t, m) != "41" {
		t.Errorf("got %s %s, want tools/list_changed with the subscription id", m.Method, m.Params)
	}
	h.gw.ResourceUpdated("mcpgw://util/file:///other.txt")
	h.gw.ResourceUpdated("mcpgw://util/file:///a.txt")
	m = ev.nextMsg(t)
	if m.Method != "notifications/resources/updated" || !strings.Contains(string(m.Params), `"uri":"mcpgw://util/file:///a.txt"`) {
		t.Errorf("got %s %s", m.Method, m.Params)
	}
	if n := h.gw.subs.count(); n != 1 {
		t.Errorf("%d listeners, want 1", n)
	}
}

// TestListenEnds: closing the stream ends the subscription; a hub shutting down ends it
// with the request's result.
func TestListenEnds(t *testing.T) {
	h := newHarness(t, Config{})
	resp, ev := h.openListen(1, `{"toolsListChanged":true}`)
	ev.nextMsg(t)
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for h.gw.subs.count() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the listener outlived its stream")
		}
		h.gw.ListChanged(router.Changes{Tools: true}) // a write notices the closed stream
		time.Sleep(10 * time.Millisecond)
	}

	_, ev = h.openListen(2, `{}`)
	ev.nextMsg(t)
	h.gw.subs.closeAll()
	m := ev.nextMsg(t)
	if string(m.ID) != "2" || !strings.Contains(string(m.Result), `"io.modelcontextprotocol/subscriptionId":2`) ||
		!strings.Contains(string(m.Result), `"io.modelcontextprotocol/serverInfo":{"name":"mcp-gateway"`) {
		t.Errorf("last message %s %s", m.ID, m.Result)
	}
	if _, ok := ev.next(t, 5*time.Second); ok {
		t.Error("the stream went on after its result")
	}
}

// TestListenKeepAlive: an idle stream gets keep-alive comments.
func TestListenKeepAlive(t *testing.T) {
	r := router.New(nil)
	r.Set("", hubBackends())
	gw := New(Config{KeepAlive: 20 * time.Millisecond}, keys, r, newFakeUpstream(), slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	gw.Mount(mux)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp",
		strings.NewReader(modernBody(1, "subscriptions/listen", `{"notifications":{}}`, ""))).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+aliceKey)
	req.Header.Set("Accept", "text/event-stream")
	modernHeaders("subscriptions/listen", "")(req)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if n := strings.Count(rec.Body.String(), ": keep-alive\n\n"); n < 2 {
		t.Errorf("%d keep-alives in 200 ms at 20 ms: %q", n, rec.Body)
	}
}

// TestListenNeedsSSE: a client that does not accept SSE cannot listen.
func TestListenNeedsSSE(t *testing.T) {
	h := newHarness(t, Config{})
	resp := h.post("", modernBody(1, "subscriptions/listen", `{"notifications":{}}`, ""),
		modernHeaders("subscriptions/listen", ""), withHeader("Accept", "application/json"))
	httpStatus(t, resp, http.StatusNotAcceptable, -32600)
	resp = h.post("", modernBody(1, "subscriptions/listen", `{}`, ""), modernHeaders("subscriptions/listen", ""))
	if m := h.reply(resp); m.Error == nil || m.Error.Code != codeInvalidParams {
		t.Errorf("without notifications: %+v", m)
	}
}
