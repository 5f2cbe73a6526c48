package status

import (
	"encoding/json"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// ToolError reports whether a tools/call result says the tool failed (isError: true, which
// MCP uses for errors the model should see, in a successful JSON-RPC response), and the
// result's text, on one line, as the reason. Most results are not errors: their isError is
// looked up by a scan of the top-level members, and only an error's result is decoded (a
// whole decode of every result cost ≈ 5 % of the agent's CPU per call).
func ToolError(result json.RawMessage) (string, bool) {
	if v, ok := mcp.Field(result, "isError"); !ok || string(v) != "true" {
		return "", false
	}
	var r struct {
		IsError bool `json:"isError"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	}
	if len(result) == 0 || json.Unmarshal(result, &r) != nil || !r.IsError {
		return "", false
	}
	var texts []string
	for _, c := range r.Content {
		if c.Type == "text" && strings.TrimSpace(c.Text) != "" {
			texts = append(texts, strings.Join(strings.Fields(c.Text), " "))
		}
	}
	msg := "the tool reported an error"
	if len(texts) > 0 {
		msg += ": " + strings.Join(texts, " ")
	}
	return msg, true
}
