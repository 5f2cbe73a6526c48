package tools

import (
	"fmt"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// TestLargeTableClassifiedOnce: with more tools than maxCachedAnalyses, a new routing table
// (one more agent) classifies only the new agent's tools, not every tool again.
func TestLargeTableClassifiedOnce(t *testing.T) {
	rt := router.New(nil)
	reg := New(nil, Options{Tables: rt})
	publish := func(agent string, n int) {
		b := protocol.Backend{Name: "canned", Transport: "stdio", State: protocol.StateReady}
		for i := range n {
			b.Tools = append(b.Tools, []byte(fmt.Sprintf(`{"name":"tool_%d","description":"Canned tool %d.","inputSchema":{"type":"object"}}`, i, i)))
		}
		rt.Set(agent, []protocol.Backend{b})
	}
	big := maxCachedAnalyses + maxCachedAnalyses/5
	publish("many", big)
	reg.Index(rt.Table())
	if got := reg.analyzed.Load(); got != int64(big) {
		t.Fatalf("first index classified %d tools, want %d", got, big)
	}
	publish("one", 5)
	if x := reg.Index(rt.Table()); len(x.Listed()) != big+5 {
		t.Fatalf("second index lists %d tools, want %d", len(x.Listed()), big+5)
	}
	if got := reg.analyzed.Load(); got != int64(big+5) {
		t.Errorf("after one more agent of 5 tools, %d classifications in all, want %d: the cache was cleared", got, big+5)
	}
}
