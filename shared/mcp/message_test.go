package mcp

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

func TestParseMessageValid(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // re-encoded form
	}{
		{"call", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`,
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`},
		{"string id, spaces", ` { "method" : "ping" , "id" : "a\"b", "jsonrpc" : "2.0" } `,
			`{"jsonrpc":"2.0","id":"a\"b","method":"ping"}`},
		{"notification", `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
			`{"jsonrpc":"2.0","method":"notifications/initialized"}`},
		{"null params", `{"jsonrpc":"2.0","id":2,"method":"ping","params":null}`,
			`{"jsonrpc":"2.0","id":2,"method":"ping"}`},
		{"integral float id", `{"jsonrpc":"2.0","id":1e3,"method":"ping"}`,
			`{"jsonrpc":"2.0","id":1000,"method":"ping"}`},
		{"escaped method", `{"jsonrpc":"2.0","id":3,"method":"tools\/list"}`,
			`{"jsonrpc":"2.0","id":3,"method":"tools/list"}`},
		{"unknown members ignored", `{"jsonrpc":"2.0","id":3,"method":"x","extra":[1,{"a":"}"}]}`,
			`{"jsonrpc":"2.0","id":3,"method":"x"}`},
		{"result", `{"jsonrpc":"2.0","id":"r1","result":{"content":[]}}`,
			`{"jsonrpc":"2.0","id":"r1","result":{"content":[]}}`},
		{"error", `{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"nope","data":{"m":"x"}}}`,
			`{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"nope","data":{"m":"x"}}}`},
		{"error without id", `{"jsonrpc":"2.0","error":{"code":-32700,"message":"parse"}}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse"}}`},
		{"error with null result", `{"jsonrpc":"2.0","id":null,"result":null,"error":{"code":1,"message":""}}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":""}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseMessage: %v", err)
			}
			got, err := EncodeMessage(m)
			if err != nil {
				t.Fatalf("EncodeMessage: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseMessageErrors(t *testing.T) {
	tests := []struct {
		name, in string
		code     int64
	}{
		{"empty", ``, CodeParseError},
		{"truncated", `{"jsonrpc":"2.0","id":1,"method":"x"`, CodeParseError},
		{"trailing garbage", `{"jsonrpc":"2.0","id":1,"method":"x"} x`, CodeParseError},
		{"not json", `hello`, CodeParseError},
		{"number", `42`, CodeInvalidRequest},
		{"array", `[{"jsonrpc":"2.0","method":"x"}]`, CodeInvalidRequest},
		{"no version", `{"id":1,"method":"x"}`, CodeInvalidRequest},
		{"wrong version", `{"jsonrpc":"1.0","id":1,"method":"x"}`, CodeInvalidRequest},
		{"method not string", `{"jsonrpc":"2.0","id":1,"method":7}`, CodeInvalidRequest},
		{"empty method", `{"jsonrpc":"2.0","id":1,"method":""}`, CodeInvalidRequest},
		{"null id request", `{"jsonrpc":"2.0","id":null,"method":"x"}`, CodeInvalidRequest},
		{"fractional id", `{"jsonrpc":"2.0","id":1.5,"method":"x"}`, CodeInvalidRequest},
		{"huge id", `{"jsonrpc":"2.0","id":123456789012345678901,"method":"x"}`, CodeInvalidRequest},
		{"object id", `{"jsonrpc":"2.0","id":{},"method":"x"}`, CodeInvalidRequest},
		{"scalar params", `{"jsonrpc":"2.0","id":1,"method":"x","params":"p"}`, CodeInvalidRequest},
		{"request with result", `{"jsonrpc":"2.0","id":1,"method":"x","result":{}}`, CodeInvalidRequest},
		{"neither", `{"jsonrpc":"2.0","id":1}`, CodeInvalidRequest},
		{"both", `{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"m"}}`, CodeInvalidRequest},
		{"result without id", `{"jsonrpc":"2.0","result":{}}`, CodeInvalidRequest},
		{"error not object", `{"jsonrpc":"2.0","id":1,"error":"bad"}`, CodeInvalidRequest},
		{"error code float", `{"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"m"}}`, CodeInvalidRequest},
		{"error no message", `{"jsonrpc":"2.0","id":1,"error":{"code":1}}`, CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseMessage accepted it: %#v", m)
			}
			if got := ErrorCode(err); got != tt.code {
				t.Errorf("ErrorCode(%v) = %d, want %d", err, got, tt.code)
			}
		})
	}
}

func TestParseMessageCopies(t *testing.T) {
	b := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`)
	m, err := ParseMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = ' '
	}
	req := m.(*jsonrpc.Request)
	if string(req.Params) != `{"name":"x"}` || req.Method != MethodToolsCall || !req.IsCall() {
		t.Errorf("message changed with its input buffer: %+v", req)
	}
}

func TestBatch(t *testing.T) {
	if !IsBatch([]byte(" \n[1]")) || IsBatch([]byte(`{"a":[]}`)) || IsBatch(nil) {
		t.Fatal("IsBatch misjudged")
	}
	parts, err := SplitBatch([]byte(` [ {"jsonrpc":"2.0","method":"a"} , {"jsonrpc":"2.0","id":1,"method":"b","params":[1,"]"]} ] `))
	if err != nil || len(parts) != 2 {
		t.Fatalf("SplitBatch = %q, %v", parts, err)
	}
	if string(parts[1]) != `{"jsonrpc":"2.0","id":1,"method":"b","params":[1,"]"]}` {
		t.Errorf("second element = %s", parts[1])
	}
	if _, err := SplitBatch([]byte(`[]`)); ErrorCode(err) != CodeInvalidRequest {
		t.Errorf("empty batch: %v", err)
	}
	if _, err := SplitBatch([]byte(`[{]`)); ErrorCode(err) != CodeParseError {
		t.Errorf("malformed batch: %v", err)
	}
}

func TestErrorResponse(t *testing.T) {
	id, _ := jsonrpc.MakeID("x")
	b, err := EncodeMessage(ErrorResponse(id, CodeInvalidParams, "bad cursor", map[string]string{"cursor": "<>"}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"jsonrpc":"2.0","id":"x","error":{"code":-32602,"message":"bad cursor","data":{"cursor":"\u003c\u003e"}}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	// A plain Go error becomes code -32603 unless it wraps a known sentinel.
	b, _ = EncodeMessage(&jsonrpc.Response{Error: errors.New("boom")})
	if !bytes.Contains(b, []byte(`"code":-32603,"message":"boom"`)) {
		t.Errorf("plain error encoded as %s", b)
	}
}

func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         `"plain"`,
		"q\"\\\n\t\x01": `"q\"\\\n\t\u0001"`,
		"é\u2028":       `"é\u2028"`,
		"bad\xff":       `"bad\ufffd"`,
		"<&>":           `"<&>"`,
	} {
		if got := string(AppendString(nil, in)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
	}
}

var benchCall = []byte(`{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"laptop__github__create_issue","arguments":{"title":"Bug","body":"` +
	strings.Repeat("text ", 40) + `"},"_meta":{"progressToken":17}}}`)

func BenchmarkParseMessage(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchCall)))
	for b.Loop() {
		if _, err := ParseMessage(benchCall); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSDKDecodeMessage(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchCall)))
	for b.Loop() {
		if _, err := jsonrpc.DecodeMessage(benchCall); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseMessageAllocations(t *testing.T) {
	// The request, its params and the boxed ID; the hub parses every request.
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseMessage(benchCall) }); n > 3 {
		t.Errorf("ParseMessage allocates %v times, want ≤ 3", n)
	}
	note := []byte(`{"jsonrpc":"2.0","method":"notifications/cancelled"}`)
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseMessage(note) }); n > 1 {
		t.Errorf("ParseMessage(notification) allocates %v times, want 1", n)
	}
}
