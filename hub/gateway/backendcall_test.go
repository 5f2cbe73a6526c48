package gateway

import (
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// The upstream gets each call as one value whose facts come from the client: a session
// client's calls are owned by its session, carry its declared capabilities and are bridged
// (it cannot retry an input_required); a stateless request is its own owner, carries the
// capabilities of its _meta and lets input_required pass.
func TestBackendCallCarriesTheClient(t *testing.T) {
	h := newHarness(t, Config{})

	sid := h.initialize("2025-11-25", `{"sampling":{}}`)
	h.rpc(sid, 1, "tools/call", `{"name":"util__echo"}`)
	got := h.up.last()
	if got.Owner != sid || got.PassInputRequired || string(got.ClientCapabilities) != `{"sampling":{}}` || got.Caller.Session != sid {
		t.Errorf("session call: %+v", got)
	}

	sid2 := h.initialize("2025-11-25", "")
	h.rpc(sid2, 1, "tools/call", `{"name":"util__echo"}`)
	if got := h.up.last(); got.Owner != sid2 || string(got.ClientCapabilities) != `{}` {
		t.Errorf("a client that declared nothing: %+v", got)
	}

	caps := `"io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}`
	body := strings.Replace(modernBody(2, "tools/call", `{"name":"util__echo"}`, ""),
		`"io.modelcontextprotocol/clientCapabilities":{}`, caps, 1)
	h.reply(h.post("", body, modernHeaders("tools/call", "util__echo")))
	first := h.up.last()
	if first.Owner == "" || first.Owner == sid || !first.PassInputRequired || string(first.ClientCapabilities) != `{"elicitation":{}}` {
		t.Errorf("stateless call: %+v", first)
	}
	h.modern(3, "tools/call", "util__echo", `{"name":"util__echo"}`, "")
	if next := h.up.last(); next.Owner == first.Owner {
		t.Errorf("two stateless requests share owner %q", next.Owner)
	}
}

// The log level a call asks its backend for is the client's: a session's is everything
// until logging/setLevel, then the level set; a stateless request's is its _meta's, and
// none without one (so a stateless backend makes no log message nobody reads).
func TestBackendCallCarriesTheLogLevel(t *testing.T) {
	h := newHarness(t, Config{})

	sid := h.initialize("2025-11-25", "")
	h.rpc(sid, 1, "tools/call", `{"name":"util__echo"}`)
	if got := h.up.last().LogLevel; got != "" {
		t.Errorf("session before logging/setLevel: LogLevel %q, want \"\" (everything)", got)
	}
	h.rpc(sid, 2, "logging/setLevel", `{"level":"error"}`)
	h.rpc(sid, 3, "tools/call", `{"name":"util__echo"}`)
	if got := h.up.last().LogLevel; got != "error" {
		t.Errorf("session at error: LogLevel %q", got)
	}

	h.modern(4, "tools/call", "util__echo", `{"name":"util__echo"}`, "")
	if got := h.up.last().LogLevel; got != backend.LogNone {
		t.Errorf("stateless request without logLevel: LogLevel %q, want %q", got, backend.LogNone)
	}
	h.modern(5, "tools/call", "util__echo", `{"name":"util__echo"}`, `,"io.modelcontextprotocol/logLevel":"warning"`)
	if got := h.up.last().LogLevel; got != "warning" {
		t.Errorf("stateless request at warning: LogLevel %q", got)
	}
}
