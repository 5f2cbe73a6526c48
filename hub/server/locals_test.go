package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// Many hub-local backends become ready at once, each publishing the set's snapshots from its
// own goroutine: once every backend is ready, every tool is routed. Publishing the set
// outside one lock let an older set land last and hide a ready backend's tools for good
// (CI: TestTimeoutHubLocal waited 60 s for a tool of a ready backend).
func TestEveryReadyLocalBackendIsRouted(t *testing.T) {
	const n, rounds = 32, 8 // one round in ten lost a backend's tools before the fix
	srv := mcp.NewServer(&mcp.Implementation{Name: "many", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "ok", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{}, nil
		})
	ts := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	t.Cleanup(ts.Close)
	var cfgs []backend.Config
	for i := range n {
		cfgs = append(cfgs, backend.Config{Name: fmt.Sprintf("b%02d", i), Transport: backend.TransportHTTP, URL: ts.URL})
	}
	for round := range rounds {
		h := hubtest.Start(t, func(c *config.Config) { c.Backends = cfgs })
		allRouted(t, h, cfgs, round)
		if err := h.Stop(); err != nil {
			t.Fatal(err)
		}
	}
}

func allRouted(t *testing.T, h *hubtest.Hub, cfgs []backend.Config, round int) {
	waitfor.Until(t, 60*time.Second, "every backend ready", func() bool {
		for _, b := range h.Server.Locals.Snapshots() {
			if b.State != protocol.StateReady {
				return false
			}
		}
		return true
	})
	// Every change is published before OnChange returns (fewer than router.CoalesceFrom
	// sources), so the table is complete soon after the last snapshot; the deadline only
	// covers the last OnChange still running.
	missing := func() []string {
		tbl := h.Server.Router.Table()
		var out []string
		for _, c := range cfgs {
			if _, ok := tbl.Tool(c.Name + "__ok"); !ok {
				out = append(out, c.Name)
			}
		}
		return out
	}
	if !waitfor.Poll(30*time.Second, func() bool { return len(missing()) == 0 }) {
		t.Fatalf("round %d: every backend is ready, but the tools of %v are not routed", round, missing())
	}
}
