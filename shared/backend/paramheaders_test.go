package backend

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// go-sdk's conformance server, stateless, refuses a call of its test_x_mcp_header tool
// without Mcp-Param-Region mirroring the region argument; through the backend it succeeds,
// and the header on the wire says what the argument says.
func TestModernParamHeaders(t *testing.T) {
	server := startConformance(t, true)

	// The control: the server really checks, so a call without the header is refused.
	t.Run("the server refuses a call without the header", func(t *testing.T) {
		status, body := rawToolCall(t, server.url, "test_x_mcp_header", `{"region":"eu"}`, nil)
		if status != http.StatusBadRequest || !strings.Contains(body, "Mcp-Param-Region") {
			t.Fatalf("%d %s", status, body)
		}
		status, body = rawToolCall(t, server.url, "test_x_mcp_header", `{"region":"eu"}`, map[string]string{"Mcp-Param-Region": "us"})
		if status != http.StatusBadRequest || !strings.Contains(body, "mismatch") {
			t.Fatalf("a wrong header: %d %s", status, body)
		}
	})

	front, rec := recordingProxy(t, server.url)
	b := start(t, Config{Name: "headers", Transport: TransportHTTP, URL: front}, Options{BackoffBase: 50 * time.Millisecond})
	if !hasTool(b.Snapshot(), "test_x_mcp_header") {
		t.Fatalf("tools: %v", toolNames(b.Snapshot()))
	}

	// call makes one tools/call through the backend and returns its text and the headers
	// of the POST that carried it.
	call := func(t *testing.T, id int, args map[string]any) (string, http.Header) {
		t.Helper()
		before := len(rec.all())
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, id, "test_x_mcp_header", args, nil)})
		text := resultText(t, resp, err)
		var calls []seen
		for _, r := range rec.all()[before:] {
			if r.rpcMethod == "tools/call" {
				calls = append(calls, r)
			}
		}
		if len(calls) != 1 {
			t.Fatalf("%d tools/call POSTs, want 1", len(calls))
		}
		h := calls[0].header
		if h.Get("Mcp-Method") != "tools/call" || h.Get("Mcp-Name") != "test_x_mcp_header" || h.Get("Mcp-Protocol-Version") != modernVersion {
			t.Errorf("standard headers: method %q name %q version %q", h.Get("Mcp-Method"), h.Get("Mcp-Name"), h.Get("Mcp-Protocol-Version"))
		}
		return text, h
	}

	t.Run("plain value", func(t *testing.T) {
		text, h := call(t, 1, map[string]any{"region": "eu-west-1", "level": 3})
		if text != "region=eu-west-1" {
			t.Errorf("result %q", text)
		}
		if got := h.Values("Mcp-Param-Region"); len(got) != 1 || got[0] != "eu-west-1" {
			t.Errorf("Mcp-Param-Region %q", got)
		}
		if n := paramHeaderCount(h); n != 1 {
			t.Errorf("%d Mcp-Param headers, want 1 (level is not annotated): %v", n, h)
		}
	})

	t.Run("a value that is not plain ASCII goes Base64", func(t *testing.T) {
		const region = " Zürich\t"
		text, h := call(t, 2, map[string]any{"region": region})
		if text != "region="+region {
			t.Errorf("result %q", text)
		}
		hv := h.Get("Mcp-Param-Region")
		inner, ok := strings.CutPrefix(hv, "=?base64?")
		inner, ok2 := strings.CutSuffix(inner, "?=")
		dec, err := base64.StdEncoding.DecodeString(inner)
		if !ok || !ok2 || err != nil || string(dec) != region {
			t.Errorf("Mcp-Param-Region %q decodes to %q", hv, dec)
		}
	})

	t.Run("an absent argument sends no header", func(t *testing.T) {
		text, h := call(t, 3, map[string]any{"level": 1})
		if text != "region=" || paramHeaderCount(h) != 0 {
			t.Errorf("result %q, headers %v", text, h)
		}
	})

	t.Run("a null argument sends no header", func(t *testing.T) {
		// go-sdk's typed handler cannot take null for a string, so the call itself may be
		// refused by the tool; what matters is that the header check passes.
		before := len(rec.all())
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 4, "test_x_mcp_header", map[string]any{"region": nil}, nil)})
		if err != nil || (resp.Error != nil && strings.Contains(resp.Error.Error(), "header")) {
			t.Fatalf("%+v, %v", resp, err)
		}
		for _, r := range rec.all()[before:] {
			if paramHeaderCount(r.header) != 0 {
				t.Errorf("%s carries %v", r.rpcMethod, r.header)
			}
		}
	})

	t.Run("other requests carry no Mcp-Param headers", func(t *testing.T) {
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 5, "test_simple_text", map[string]any{"region": "eu"}, nil)})
		resultText(t, resp, err)
		for _, r := range rec.all() {
			if r.rpcMethod != "tools/call" && paramHeaderCount(r.header) != 0 {
				t.Errorf("%s carries Mcp-Param headers: %v", r.rpcMethod, r.header)
			}
		}
	})
}

// A go-sdk stateless server of our own, with annotations of every allowed type and at
// depth, checks each header against its argument.
func TestModernParamHeadersTypes(t *testing.T) {
	server := mcp.NewServer(&mcp.Implementation{Name: "typed", Version: "1"}, nil)
	server.AddTool(&mcp.Tool{
		Name: "route",
		InputSchema: json.RawMessage(`{"type":"object","properties":{
			"tenant":{"type":"string","x-mcp-header":"Tenant"},
			"shard":{"type":"integer","x-mcp-header":"Shard"},
			"dry":{"type":"boolean","x-mcp-header":"Dry-Run"},
			"target":{"type":"object","properties":{"zone":{"type":"string","x-mcp-header":"Zone"}}}}}`),
	}, func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(req.Params.Arguments)}}}, nil
	})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true}))
	t.Cleanup(srv.Close)
	front, rec := recordingProxy(t, srv.URL+"/mcp")
	b := start(t, Config{Name: "typed", Transport: TransportHTTP, URL: front}, Options{})
	if !b.sess.Load().modern {
		t.Fatal("not modern")
	}
	for i, tc := range []struct {
		args map[string]any
		want map[string]string
	}{
		{map[string]any{"tenant": "acme", "shard": 42, "dry": true, "target": map[string]any{"zone": "z1"}},
			map[string]string{"Mcp-Param-Tenant": "acme", "Mcp-Param-Shard": "42", "Mcp-Param-Dry-Run": "true", "Mcp-Param-Zone": "z1"}},
		{map[string]any{"shard": -7, "dry": false}, map[string]string{"Mcp-Param-Shard": "-7", "Mcp-Param-Dry-Run": "false"}},
		{map[string]any{"target": map[string]any{}}, map[string]string{}},
		{map[string]any{"tenant": "=?base64?eA==?="}, map[string]string{"Mcp-Param-Tenant": "=?base64?PT9iYXNlNjQ/ZUE9PT89?="}},
	} {
		before := len(rec.all())
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, i, "route", tc.args, nil)})
		resultText(t, resp, err)
		for _, r := range rec.all()[before:] {
			if r.rpcMethod != "tools/call" {
				continue
			}
			got := map[string]string{}
			for k := range r.header {
				if strings.HasPrefix(k, paramHeaderPrefix) {
					got[k] = r.header.Get(k)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v: headers %v, want %v", tc.args, got, tc.want)
			}
		}
	}
}

func TestParamHeaderValues(t *testing.T) {
	for raw, want := range map[string]string{
		`"eu"`: "eu", `""`: "", `true`: "true", `false`: "false", `0`: "0", `-12`: "-12", `3.0`: "3",
		`9007199254740991`: "9007199254740991", `"a\nb"`: "=?base64?YQpi?=", `"é"`: "=?base64?w6k=?=",
	} {
		if got, ok := headerValue([]byte(raw)); !ok || got != want {
			t.Errorf("%s: %q %v, want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{`null`, `1.5`, `9007199254740992`, `{}`, `[]`, `1e400`, ``} {
		if got, ok := headerValue([]byte(raw)); ok {
			t.Errorf("%s: %q, want no header", raw, got)
		}
	}
}

func TestBuildParamIndex(t *testing.T) {
	var bad []string
	idx := buildParamIndex([]json.RawMessage{
		json.RawMessage(`{"name":"plain","inputSchema":{"type":"object","properties":{"a":{"type":"string"}}}}`),
		json.RawMessage(`{"name":"marked","inputSchema":{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"region"},
			"o":{"type":"object","properties":{"b":{"type":"integer","x-mcp-header":"B"}}},
			"bad":{"type":"string","x-mcp-header":"a b"},"worse":{"type":"string","x-mcp-header":7}}}}`),
	}, func(tool, prop string) { bad = append(bad, tool+"."+prop) })
	if _, ok := idx["plain"]; ok || len(idx) != 1 {
		t.Fatalf("index %v", idx)
	}
	got := map[string]string{}
	for _, b := range idx["marked"] {
		got[strings.Join(b.path, ".")] = b.header
	}
	if want := map[string]string{"a": "Mcp-Param-Region", "o.b": "Mcp-Param-B"}; !reflect.DeepEqual(got, want) {
		t.Errorf("bindings %v, want %v", got, want)
	}
	if len(bad) != 2 {
		t.Errorf("invalid annotations reported: %v", bad)
	}
	if idx := buildParamIndex([]json.RawMessage{json.RawMessage(`{"name":"plain"}`)}, nil); idx != nil {
		t.Errorf("no annotations: %v", idx)
	}
}

// The hot path: a call to a tool without annotations costs no allocation.
func TestParamHeadersCheapWithoutAnnotations(t *testing.T) {
	s := &session{modern: true, hdr: &headerRoundTripper{}}
	idx := buildParamIndex([]json.RawMessage{json.RawMessage(`{"name":"t","inputSchema":{"properties":{"r":{"type":"string","x-mcp-header":"R"}}}}`)}, nil)
	s.params.Store(&idx)
	params := []byte(`{"name":"other","arguments":{"r":"x"}}`)
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() { _ = s.withParamHeaders(ctx, "tools/call", params) }); n != 0 {
		t.Errorf("%v allocations for a tool without annotations", n)
	}
	if got := s.withParamHeaders(ctx, "tools/call", []byte(`{"name":"t","arguments":{"r":"x"}}`)).Value(paramHeadersKey{}); !reflect.DeepEqual(got, [][2]string{{"Mcp-Param-R", "x"}}) {
		t.Errorf("annotated tool: %v", got)
	}
}

func paramHeaderCount(h http.Header) int {
	n := 0
	for k := range h {
		if strings.HasPrefix(k, paramHeaderPrefix) {
			n++
		}
	}
	return n
}

// rawToolCall POSTs a stateless tools/call with the standard headers and the extra ones.
func rawToolCall(t *testing.T, url, name, args string, extra map[string]string) (int, string) {
	t.Helper()
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":%q,"arguments":%s,"_meta":{%q:%q,%q:{},%q:{"name":"t","version":"1"}}}}`,
		name, args, metaProtocolVersion, modernVersion, metaClientCapabilities, metaClientInfo)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", modernVersion)
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", name)
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}
