package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// BenchmarkToolsList10k: a full tools/list (500 a page, 100 pages) of 10,000 agents of 5
// tools each (the load program's canned tools) through the gateway in-process, with the tool
// registry on (every tool pinned in memory and its index built before the timer starts). One
// iteration is the whole paging, one 2025-11-25 session.
func BenchmarkToolsList10k(b *testing.B) {
	r := router.New(nil)
	defs := make([]json.RawMessage, 5)
	for i := range defs {
		defs[i] = json.RawMessage(fmt.Sprintf(
			`{"name":"tool_%d","description":"canned tool %d of the load program","inputSchema":{"type":"object","properties":{"message":{"type":"string"}}}}`, i, i))
	}
	for a := range 10000 {
		r.Set(fmt.Sprintf("agent-%05d", a), []protocol.Backend{{Name: "canned", Transport: "stdio", State: protocol.StateReady, Tools: defs}})
	}
	r.Sync()
	gw := New(Config{KeepAlive: time.Hour, PageSize: 500}, keys, r, newFakeUpstream(), slog.New(slog.DiscardHandler))
	st := storetest.New(b)
	reg := tools.New(st, tools.Options{Tables: r})
	gw.SetGovernance(Governance{Tools: reg})
	reg.Index(r.Table())
	mux := http.NewServeMux()
	gw.Mount(mux)
	hdr := sessionHeaders(b, mux)
	b.ReportAllocs()
	for b.Loop() {
		cursor, pages, n := "", 0, 0
		for {
			body := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
			if cursor != "" {
				body = `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"` + cursor + `"}}`
			}
			out := listPost(b, mux, []byte(body), hdr)
			// The client's share is left out: count the tools and find the cursor by bytes.
			n += bytes.Count(out, []byte(`"name":"agent-`))
			pages++
			i := bytes.LastIndex(out, []byte(`"nextCursor":"`))
			if i < 0 {
				break
			}
			rest := out[i+len(`"nextCursor":"`):]
			cursor = string(rest[:bytes.IndexByte(rest, '"')])
		}
		if n != 50000 {
			b.Fatalf("listed %d tools in %d pages, want 50000", n, pages)
		}
	}
}

func listPost(b testing.TB, h http.Handler, body []byte, hdr map[string]string) []byte {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+aliceKey)
	req.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}
