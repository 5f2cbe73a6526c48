package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// TestToolsListPagingUnderChurn pages tools/list (7 tools a page) through the gateway while
// other agents connect and disconnect all the time: every listing is strictly sorted (so no
// tool twice), holds every tool of the agents connected throughout exactly once, and every
// cursor stays usable although the table changed between the pages.
func TestToolsListPagingUnderChurn(t *testing.T) {
	r := router.New(nil)
	tool := func(i int) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"name":"t%d","description":"tool %d","inputSchema":{"type":"object"}}`, i, i))
	}
	backends := func(n int) []protocol.Backend {
		b := protocol.Backend{Name: "b", Transport: "stdio", State: protocol.StateReady}
		for i := range n {
			b.Tools = append(b.Tools, tool(i))
		}
		return []protocol.Backend{b}
	}
	stable := map[string]bool{}
	for a := range 60 {
		id := fmt.Sprintf("stable%02d", a)
		r.Set(id, backends(5))
		for i := range 5 {
			stable[fmt.Sprintf("%s__b__t%d", id, i)] = true
		}
	}
	r.Sync()
	gw := New(Config{KeepAlive: time.Hour, PageSize: 7}, keys, r, newFakeUpstream(), slog.New(slog.DiscardHandler))
	reg := tools.New(storetest.New(t), tools.Options{Tables: r})
	gw.SetGovernance(Governance{Tools: reg})
	mux := http.NewServeMux()
	gw.Mount(mux)
	hdr := sessionHeaders(t, mux)

	// Churn: agents whose names sort before, between and after the stable ones come and go,
	// each with a varying number of tools.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; ctx.Err() == nil; k++ {
			for _, prefix := range []string{"a", "stable30x", "zz"} {
				id := fmt.Sprintf("%s%03d", prefix, k%40)
				if k%3 == 2 {
					r.Remove(id)
				} else {
					r.Set(id, backends(1+k%6))
				}
			}
			if k%50 == 0 {
				_ = reg.Index(r.Table()) // the registry rebuilds its index meanwhile too
			}
		}
	}()
	defer func() { cancel(); wg.Wait() }()

	for round := range 5 {
		var names []string
		cursor, pages := "", 0
		for {
			body := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
			if cursor != "" {
				body = `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"` + cursor + `"}}`
			}
			var resp struct {
				Result *struct {
					Tools []struct {
						Name string `json:"name"`
					} `json:"tools"`
					NextCursor string `json:"nextCursor"`
				} `json:"result"`
				Error json.RawMessage `json:"error"`
			}
			out := listPost(t, mux, []byte(body), hdr)
			if err := json.Unmarshal(out, &resp); err != nil || resp.Result == nil {
				t.Fatalf("round %d page %d (cursor %q): %v: %.300s", round, pages, cursor, err, out)
			}
			pages++
			if len(resp.Result.Tools) > 7 {
				t.Fatalf("page of %d tools, page size 7", len(resp.Result.Tools))
			}
			for _, tl := range resp.Result.Tools {
				names = append(names, tl.Name)
			}
			if cursor = resp.Result.NextCursor; cursor == "" {
				break
			}
		}
		seen := map[string]bool{}
		for i, n := range names {
			if i > 0 && names[i-1] >= n {
				t.Fatalf("round %d: %q listed after %q: not strictly sorted", round, n, names[i-1])
			}
			seen[n] = true
		}
		for n := range stable {
			if !seen[n] {
				t.Errorf("round %d: %q (connected throughout) missing from %d pages", round, n, pages)
			}
		}
		t.Logf("round %d: %d tools in %d pages", round, len(names), pages)
	}
}
