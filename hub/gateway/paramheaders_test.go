package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// regionalTool has two annotated arguments, one of them nested.
const regionalTool = `{"name":"regional","inputSchema":{"type":"object","properties":{
	"region":{"type":"string","x-mcp-header":"Region"},
	"level":{"type":"integer","x-mcp-header":"Level"},
	"opts":{"type":"object","properties":{"zone":{"type":"string","x-mcp-header":"Zone"}}},
	"note":{"type":"string"}}}}`

func withRegional(h *harness) {
	b := hubBackends()
	b[0].Tools = append(b[0].Tools, json.RawMessage(regionalTool))
	h.router.Set("", b)
}

// TestParamHeaders: Mcp-Param-* headers must say what the annotated arguments say, both
// ways: every mismatch is a HeaderMismatchError, every faithful mirror is served.
func TestParamHeaders(t *testing.T) {
	h := newHarness(t, Config{})
	withRegional(h)
	for _, tc := range []struct {
		name, args string
		hdr        map[string]string
		ok         bool
	}{
		{"all mirrored", `{"region":"eu","level":3,"opts":{"zone":"a"}}`, map[string]string{"Region": "eu", "Level": "3", "Zone": "a"}, true},
		{"absent arguments, no headers", `{"note":"x"}`, nil, true},
		{"null argument, no header", `{"region":null}`, nil, true},
		{"base64", `{"region":"Zürich"}`, map[string]string{"Region": "=?base64?WsO8cmljaA==?="}, true},
		{"integer written as float", `{"level":3}`, map[string]string{"Level": "3.0"}, true},
		{"missing header", `{"region":"eu"}`, nil, false},
		{"other value", `{"region":"eu"}`, map[string]string{"Region": "us"}, false},
		{"header for an absent argument", `{}`, map[string]string{"Region": "eu"}, false},
		{"nested mismatch", `{"opts":{"zone":"a"}}`, map[string]string{"Zone": "b"}, false},
		{"bad base64", `{"region":"eu"}`, map[string]string{"Region": "=?base64?!!?="}, false},
		{"not an integer", `{"level":3.5}`, map[string]string{"Level": "3.5"}, false},
		{"number for a string", `{"level":"3"}`, map[string]string{"Level": "3"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mods := []func(*http.Request){modernHeaders("tools/call", "util__regional")}
			for k, v := range tc.hdr {
				mods = append(mods, withHeader(paramHeaderPrefix+k, v))
			}
			resp := h.post("", modernBody(1, "tools/call", `{"name":"util__regional","arguments":`+tc.args+`}`, ""), mods...)
			if tc.ok {
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				if m := h.reply(resp); m.Error != nil {
					t.Fatalf("error %+v", *m.Error)
				}
				return
			}
			var m rpcMsg
			if resp.StatusCode != 400 || json.NewDecoder(resp.Body).Decode(&m) != nil || m.Error == nil || m.Error.Code != -32020 {
				t.Fatalf("status %d %+v, want 400 with -32020", resp.StatusCode, m.Error)
			}
		})
	}
	// A tool without annotations ignores such headers.
	resp := h.post("", modernBody(1, "tools/call", `{"name":"util__echo","arguments":{}}`, ""),
		modernHeaders("tools/call", "util__echo"), withHeader(paramHeaderPrefix+"Region", "eu"))
	if m := h.reply(resp); m.Error != nil {
		t.Errorf("unannotated tool: %+v", *m.Error)
	}
}

// TestParamHeadersGoSDK: the go-sdk client mirrors annotated arguments itself, and the hub
// accepts what it sends.
func TestParamHeadersGoSDK(t *testing.T) {
	h := newHarness(t, Config{})
	withRegional(h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hc, _ := h.sdkHTTPClient()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "p", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.url + "/mcp", HTTPClient: hc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	for _, err := range cs.Tools(ctx, nil) { // the client learns the annotations from the list
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "util__regional", Arguments: map[string]any{"region": "Zürich", "level": 2, "opts": map[string]any{"zone": "b"}}}); err != nil {
		t.Fatalf("call with mirrored arguments: %v", err)
	}
}
