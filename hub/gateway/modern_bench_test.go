package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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

// benchGateway is a gateway on the fake upstream, served in-process without a network.
func benchGateway(b *testing.B) http.Handler {
	r := router.New(nil)
	r.Set("", hubBackends())
	gw := New(Config{KeepAlive: time.Hour}, keys, r, newFakeUpstream(), slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	gw.Mount(mux)
	return mux
}

// sessionHeaders initializes a 2025-11-25 session as alice on h and returns the headers the
// session's requests carry.
func sessionHeaders(tb testing.TB, h http.Handler) map[string]string {
	rec := httptest.NewRecorder()
	init := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", strings.NewReader(initBody))
	init.Header.Set("Authorization", "Bearer "+aliceKey)
	init.Header.Set("Accept", "application/json, text/event-stream")
	h.ServeHTTP(rec, init)
	tb.Helper()
	return map[string]string{headerSession: rec.Header().Get(headerSession), headerProtocol: "2025-11-25"}
}

func benchPost(b *testing.B, h http.Handler, body []byte, hdr map[string]string) {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+aliceKey)
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	_, _ = io.Copy(io.Discard, rec.Body)
}

// BenchmarkCallSession and BenchmarkCallStateless: the gateway's own cost of one
// tools/call in each era (HTTP handling in-process, the fake upstream answers at once).
func BenchmarkCallSession(b *testing.B) {
	h := benchGateway(b)
	hdr := sessionHeaders(b, h)
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__echo","arguments":{"message":"hi"}}}`)
	b.ReportAllocs()
	for b.Loop() {
		benchPost(b, h, body, hdr)
	}
}

func BenchmarkCallStateless(b *testing.B) {
	h := benchGateway(b)
	body := []byte(modernBody(1, "tools/call", `{"name":"util__echo","arguments":{"message":"hi"}}`, ""))
	hdr := map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/call", headerName: "util__echo"}
	b.ReportAllocs()
	for b.Loop() {
		benchPost(b, h, body, hdr)
	}
}

// constUpstream answers every call at once with one fixed result, allocating nothing of
// its own: what BenchmarkPost* measure is the gateway's POST path alone.
type constUpstream struct{ res json.RawMessage }

func (u constUpstream) Call(_ context.Context, _ router.Target, c *backend.Call) (*jsonrpc.Response, error) {
	return &jsonrpc.Response{ID: c.Request.ID, Result: u.res}, nil
}

// BenchmarkPostSession and BenchmarkPostStateless: the gateway's own cost and allocations
// for one tools/call in each era, from the request's headers to the reply's bytes, with an
// upstream that costs nothing (the in-process recorder's and request's allocations are in
// the figures too, the same in both).
func BenchmarkPostSession(b *testing.B) {
	h := constGateway()
	hdr := sessionHeaders(b, h)
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__echo","arguments":{"message":"hi"}}}`)
	b.ReportAllocs()
	for b.Loop() {
		benchPost(b, h, body, hdr)
	}
}

func BenchmarkPostStateless(b *testing.B) {
	h := constGateway()
	body := []byte(modernBody(1, "tools/call", `{"name":"util__echo","arguments":{"message":"hi"}}`, ""))
	hdr := map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/call", headerName: "util__echo"}
	b.ReportAllocs()
	for b.Loop() {
		benchPost(b, h, body, hdr)
	}
}

func constGateway() http.Handler {
	r := router.New(nil)
	r.Set("", hubBackends())
	up := constUpstream{res: json.RawMessage(`{"content":[{"type":"text","text":"simple text"}]}`)}
	gw := New(Config{KeepAlive: time.Hour}, keys, r, up, slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	gw.Mount(mux)
	return mux
}
