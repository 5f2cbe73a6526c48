package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestEraParamHeadersModernBackend: go-sdk's stateless conformance server refuses a call of
// test_x_mcp_header without an Mcp-Param-Region header equal to its region argument. Through
// the hub it works for a client of either era: the hub checks a stateless client's header,
// and shared/backend sends its own to the backend (a session client sends none).
func TestEraParamHeadersModernBackend(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	hub := startModernBackendHub(t)
	for _, era := range []string{"2026-07-28", "2025-11-25"} {
		t.Run(era, func(t *testing.T) {
			client := mcp.NewClient(&mcp.Implementation{Name: "headers-" + era, Version: "1"}, nil)
			var opts *mcp.ClientSessionOptions
			if era != "2026-07-28" {
				opts = &mcp.ClientSessionOptions{ProtocolVersion: era}
			}
			cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hub.MCPURL(),
				HTTPClient: &http.Client{Transport: bearer{hub.OwnerKey, http.DefaultTransport}}}, opts)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer cs.Close()
			found := false
			for tool, err := range cs.Tools(ctx, nil) { // also gives the client the annotations
				if err != nil {
					t.Fatal(err)
				}
				found = found || tool.Name == "conf__test_x_mcp_header"
			}
			if !found {
				t.Fatal("conf__test_x_mcp_header not listed")
			}
			for _, region := range []string{"eu-west-1", " Zürich "} {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "conf__test_x_mcp_header",
					Arguments: map[string]any{"region": region, "level": 2}})
				if err != nil || res.IsError || text(res.Content) != "region="+region {
					t.Errorf("region %q: %v %v", region, res, err)
				}
			}
		})
	}
}
