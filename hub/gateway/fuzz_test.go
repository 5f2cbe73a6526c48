package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

// recorder notes whether the handler answered at all.
type recorder struct {
	*httptest.ResponseRecorder
	answered bool
}

func (r *recorder) WriteHeader(code int) { r.answered = true; r.ResponseRecorder.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	r.answered = true
	return r.ResponseRecorder.Write(b)
}

// FuzzPost posts arbitrary bodies and header values to /mcp. The handler must never panic
// or answer 5xx, must always answer, and its JSON bodies must be JSON. A session header of
// "S" stands for a real 2025-11-25 session of the caller and "B" for a 2025-03-26 one (which
// takes batches), so the fuzzer reaches past the session check.
func FuzzPost(f *testing.F) {
	seeds := []struct{ body, session, version, accept, origin string }{
		{initBody, "", "", "application/json, text/event-stream", ""},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__echo","arguments":{}}}`, "S", "2025-11-25", "application/json, text/event-stream", ""},
		{`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"util__progress","_meta":{"progressToken":1}}}`, "S", "", "text/event-stream", "http://localhost:1"},
		{`{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"mcpgw://util/file:///a.txt"}}`, "S", "2025-06-18", "*/*", ""},
		{`{"jsonrpc":"2.0","id":4,"method":"completion/complete","params":{"ref":null}}`, "S", "", "", ""},
		{`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"foo":1},{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}]`, "B", "", "application/json", ""},
		{`{"jsonrpc":"2.0","id":"gw-1","result":{}}`, "S", "", "", "https://evil.example"},
		{`{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"cursor":"!!"}}`, "nope", "1999-01-01", "", ""},
		{`{"jsonrpc":"2.0",`, "", "", "", "null"},
	}
	for _, s := range seeds {
		f.Add([]byte(s.body), s.session, s.version, s.accept, s.origin)
	}

	r := router.New(nil)
	r.Set("", hubBackends())
	r.Set("laptop", laptopBackends())
	gw := New(Config{MaxBodyBytes: 1 << 16, PageSize: 2, KeepAlive: time.Hour}, keys, r, newFakeUpstream(), slog.New(slog.DiscardHandler))
	gw.AgentGone("desktop")
	mux := http.NewServeMux()
	gw.Mount(mux)

	post := func(body []byte, hdr map[string]string) *recorder {
		// A deadline ends calls that wait on the client (slow tools, sampling).
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", bytes.NewReader(body)).WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+aliceKey)
		for k, v := range hdr {
			if v != "" {
				req.Header[k] = []string{v} // as sent, unvalidated
			}
		}
		rec := &recorder{ResponseRecorder: httptest.NewRecorder()}
		mux.ServeHTTP(rec, req)
		return rec
	}
	open := func(version string) string {
		rec := post([]byte(strings.Replace(initBody, "2025-11-25", version, 1)), nil)
		sid := rec.Header().Get(headerSession)
		if sid == "" {
			f.Fatalf("initialize: %d %s", rec.Code, rec.Body)
		}
		return sid
	}
	sessions := map[string]string{"S": open("2025-11-25"), "B": open("2025-03-26")}

	f.Fuzz(func(t *testing.T, body []byte, session, version, accept, origin string) {
		if sid, ok := sessions[session]; ok {
			session = sid
		}
		rec := post(body, map[string]string{
			headerSession: session, headerProtocol: version, "Accept": accept, "Origin": origin,
		})
		if !rec.answered {
			t.Fatal("no response")
		}
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		ct := rec.Header().Get("Content-Type")
		switch {
		case rec.Code == http.StatusAccepted || rec.Code == http.StatusNoContent:
			if rec.Body.Len() != 0 {
				t.Fatalf("%d with a body: %q", rec.Code, rec.Body)
			}
		case ct == "application/json":
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("invalid JSON body: %q", rec.Body)
			}
		case ct == "text/event-stream":
			// An event's data lines join with newlines into one JSON message.
			for _, event := range strings.Split(rec.Body.String(), "\n\n") {
				var data []string
				for _, line := range strings.Split(event, "\n") {
					if d, ok := strings.CutPrefix(line, "data: "); ok {
						data = append(data, d)
					}
				}
				if len(data) > 0 && !json.Valid([]byte(strings.Join(data, "\n"))) {
					t.Fatalf("invalid JSON event: %q", event)
				}
			}
		default:
			t.Fatalf("status %d with Content-Type %q: %q", rec.Code, ct, rec.Body)
		}
	})
}
