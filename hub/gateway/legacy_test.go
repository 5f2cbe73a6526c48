package gateway

import (
	"net/http"
	"strings"
	"testing"
)

// openLegacy opens an HTTP+SSE session at GET /sse and returns its id and stream.
func openLegacy(t *testing.T, h *harness, mods ...func(*http.Request)) (string, *events) {
	t.Helper()
	r := h.request(http.MethodGet, "/sse", "")
	r.Header.Set("Accept", "text/event-stream")
	for _, m := range mods {
		m(r)
	}
	resp := h.do(r)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /sse: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ev := newEvents(resp.Body)
	e, ok := ev.next(t, 5e9)
	if !ok || e.name != "endpoint" || !strings.HasPrefix(e.data, "/messages?sessionId=") {
		t.Fatalf("first event %+v, want the endpoint", e)
	}
	return strings.TrimPrefix(e.data, "/messages?sessionId="), ev
}

func legacySession(t *testing.T, h *harness) string {
	sid, _ := openLegacy(t, h)
	return sid
}
