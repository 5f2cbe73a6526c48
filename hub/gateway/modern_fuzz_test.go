package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

// FuzzModern posts stateless requests with arbitrary _meta and headers. Besides never
// panicking, never answering 5xx and always answering JSON or SSE, every decision is
// checked both ways against what the request holds: a request is served only when its
// _meta version is 2026-07-28 and its Mcp-Protocol-Version, Mcp-Method (and Mcp-Name)
// headers match the body; a version error names the version and lists the supported
// ones; a header error happens only when a header does not match.
func FuzzModern(f *testing.F) {
	ok := `{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	seeds := []struct{ meta, method, name, hVersion, hMethod, hName string }{
		{ok, "tools/list", "", "2026-07-28", "tools/list", ""},
		{ok, "tools/call", "util__echo", "2026-07-28", "tools/call", "util__echo"},
		{ok, "tools/call", "util__echo", "2026-07-28", "tools/call", "util__slow"},
		{ok, "server/discover", "", "2025-11-25", "server/discover", ""},
		{`{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}`, "tools/list", "", "2099-01-01", "tools/list", ""},
		{`{"io.modelcontextprotocol/protocolVersion":7}`, "tools/list", "", "2026-07-28", "tools/list", ""},
		{`{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/logLevel":"nope","io.modelcontextprotocol/clientCapabilities":{}}`, "tools/list", "", "2026-07-28", "tools/list", ""},
		{`[]`, "prompts/get", "util__greet", "2026-07-28", "prompts/get", "util__greet"},
		{`{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"sampling":{}}}`, "tools/call", "util__sample", "2026-07-28", "tools/call", "util__sample"},
	}
	for _, s := range seeds {
		f.Add(s.meta, s.method, s.name, s.hVersion, s.hMethod, s.hName)
	}
	r := router.New(nil)
	r.Set("", hubBackends())
	up := newFakeUpstream()
	go func() { // the fake reports slow calls on bounded channels: keep them drained
		for {
			select {
			case <-up.started:
			case <-up.cancelled:
			}
		}
	}()
	gw := New(Config{KeepAlive: time.Hour, InputTimeout: 10 * time.Millisecond, InputGather: time.Millisecond}, keys, r, up, slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	gw.Mount(mux)

	f.Fuzz(func(t *testing.T, meta, method, name, hVersion, hMethod, hName string) {
		params := map[string]json.RawMessage{"name": mustJSON(name), "uri": mustJSON(name), "notifications": json.RawMessage(`{}`)}
		if json.Valid([]byte(meta)) {
			params["_meta"] = json.RawMessage(meta)
		}
		body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", bytes.NewReader(body)).WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+aliceKey)
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range map[string]string{headerProtocol: hVersion, headerMethod: hMethod, headerName: hName} {
			if v != "" {
				req.Header[k] = []string{v}
			}
		}
		rec := &recorder{ResponseRecorder: httptest.NewRecorder()}
		mux.ServeHTTP(rec, req)
		if !rec.answered || rec.Code >= 500 {
			t.Fatalf("status %d (answered %v): %s", rec.Code, rec.answered, rec.Body)
		}

		var m struct {
			Error *struct {
				Code int
				Data struct {
					Requested string
					Supported []string
				}
			}
		}
		if rec.Header().Get("Content-Type") == "application/json" {
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("invalid JSON: %q", rec.Body)
			}
		}
		var v struct {
			Version *string `json:"io.modelcontextprotocol/protocolVersion"`
		}
		_ = json.Unmarshal(params["_meta"], &v)
		modern := v.Version != nil || hVersion >= "2026-07-28"
		if !modern || method == "initialize" {
			return // the session-based path, fuzzed by FuzzPost
		}
		metaOK := v.Version != nil && *v.Version == "2026-07-28"
		headersOK := hVersion == "2026-07-28" && hMethod == method
		if method == "tools/call" || method == "prompts/get" || method == "resources/read" {
			headersOK = headersOK && hName == name && hName != ""
		}
		code := 0
		if m.Error != nil {
			code = m.Error.Code
		}
		switch {
		case code == -32022:
			if rec.Code != 400 || metaOK || v.Version == nil || m.Error.Data.Requested != *v.Version || !slices.Equal(m.Error.Data.Supported, allVersions) {
				t.Fatalf("version error for _meta %s: %s", meta, rec.Body)
			}
		case code == -32020:
			if rec.Code != 400 || !metaOK || headersOK {
				t.Fatalf("header error with matching headers (%q %q %q) for %s %q: %s", hVersion, hMethod, hName, method, name, rec.Body)
			}
		case rec.Code == 200 && !(metaOK && headersOK):
			t.Fatalf("served (%s) with _meta %s, headers %q %q %q, method %s name %q", rec.Body, meta, hVersion, hMethod, hName, method, name)
		case metaOK && !headersOK && rec.Code != 400:
			t.Fatalf("mismatched headers (%q %q %q) for %s %q not refused: %d %s", hVersion, hMethod, hName, method, name, rec.Code, rec.Body)
		}
	})
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
