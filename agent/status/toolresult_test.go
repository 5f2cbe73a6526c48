package status

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestToolError(t *testing.T) {
	for raw, want := range map[string]string{
		`{"content":[{"type":"text","text":"no such file:\n /x"}],"isError":true}`: "the tool reported an error: no such file: /x",
		`{"content":[],"isError":true}`:                                            "the tool reported an error",
		`{"content":[{"type":"text","text":"fine"}]}`:                              "",
		`{"content":[{"type":"text","text":"fine"}],"isError":false}`:              "",
		`not json`: "",
		``:         "",
	} {
		msg, isErr := ToolError(json.RawMessage(raw))
		if msg != want || isErr != (want != "") {
			t.Errorf("ToolError(%s) = %q, %v; want %q", raw, msg, isErr, want)
		}
	}
}

// decodedToolError is ToolError as it was before its scan: a whole decode of every result.
// The fuzz test holds the scan to it.
func decodedToolError(result json.RawMessage) bool {
	var r struct {
		IsError bool `json:"isError"`
	}
	return len(result) > 0 && json.Unmarshal(result, &r) == nil && r.IsError
}

func FuzzToolError(f *testing.F) {
	for _, s := range []string{
		`{"content":[{"type":"text","text":"x"}],"isError":true}`,
		`{"isError":false}`, `{"isError": true }`, `{"content":[{"isError":true}]}`,
		`{"isError":"true"}`, `{"isError":true,}`, `[{"isError":true}]`, `not json`, ``,
		`{"a":"\"isError\":true","isError":true}`, `{"isError":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, got := ToolError(raw)
		want := decodedToolError(raw)
		// The scan reads the first isError member; a decode keeps the last. JSON objects
		// with a duplicated member are outside what MCP servers send: only compare others.
		if got != want && strings.Count(string(raw), `"isError"`) < 2 {
			t.Fatalf("ToolError(%q) = %v, a whole decode says %v", raw, got, want)
		}
	})
}

func BenchmarkToolErrorNotAnError(b *testing.B) {
	res := json.RawMessage(`{"content":[{"type":"text","text":"` + strings.Repeat("lorem ipsum ", 200) + `"}],"structuredContent":{"n":1}}`)
	for b.Loop() {
		if _, bad := ToolError(res); bad {
			b.Fatal("not an error")
		}
	}
}
