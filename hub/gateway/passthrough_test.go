package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// modernBackend stands in for a backend that speaks 2026-07-28 itself: its tool answers
// input_required (with its own requestState) until the call carries inputResponses — when
// the sink lets the result pass.
type modernBackend struct{ params chan json.RawMessage }

func (m *modernBackend) Call(ctx context.Context, t router.Target, c *backend.Call) (*jsonrpc.Response, error) {
	req := c.Request
	m.params <- req.Params
	if strings.Contains(string(req.Params), `"inputResponses"`) {
		return &jsonrpc.Response{ID: req.ID, Result: json.RawMessage(`{"content":[{"type":"text","text":"answered"}]}`)}, nil
	}
	if c.PassInputRequired {
		return &jsonrpc.Response{ID: req.ID, Result: json.RawMessage(`{"resultType":"input_required","requestState":"backend-state","inputRequests":{"q":{"method":"elicitation/create","params":{"message":"ok?"}}}}`)}, nil
	}
	return nil, errors.New("the call does not pass input_required through")
}

// TestModernBackendPassthrough: a stateless client gets a stateless backend's
// input_required unchanged, and its retry (the backend's requestState, not ours) reaches
// the backend with inputResponses and requestState intact, without the hub's bridge.
func TestModernBackendPassthrough(t *testing.T) {
	r := router.New(nil)
	r.Set("", hubBackends())
	up := &modernBackend{params: make(chan json.RawMessage, 4)}
	gw := New(Config{KeepAlive: time.Hour}, keys, r, up, slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	gw.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	h := &harness{t: t, srv: srv, url: srv.URL, gw: gw, client: srv.Client()}

	caps := `"io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}`
	body := func(id int, extra string) string {
		return strings.Replace(modernBody(id, "tools/call", `{"name":"util__echo"`+extra+`}`, ""), `"io.modelcontextprotocol/clientCapabilities":{}`, caps, 1)
	}
	hdr := modernHeaders("tools/call", "util__echo")
	m := h.reply(h.post("", body(1, ""), hdr))
	if !strings.Contains(string(m.Result), `"requestState":"backend-state"`) || !strings.Contains(string(m.Result), `"input_required"`) {
		t.Fatalf("first reply %s %+v", m.Result, m.Error)
	}
	<-up.params
	m = h.reply(h.post("", body(2, `,"inputResponses":{"q":{"action":"accept"}},"requestState":"backend-state"`), hdr))
	if !strings.Contains(string(m.Result), "answered") || !strings.Contains(string(m.Result), `"resultType":"complete"`) {
		t.Fatalf("retry reply %s %+v", m.Result, m.Error)
	}
	if p := string(<-up.params); !strings.Contains(p, `"requestState":"backend-state"`) || !strings.Contains(p, `"inputResponses":{"q":{"action":"accept"}}`) {
		t.Errorf("backend got %s", p)
	}
	if n := gw.inputs.count(); n != 0 {
		t.Errorf("%d calls parked in the hub's bridge, want none", n)
	}
}
