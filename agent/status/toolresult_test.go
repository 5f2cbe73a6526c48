package status

import (
	"encoding/json"
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
