package connector

import "github.com/mcp-gateway/mcp-gateway/shared/mcp"

// toolName returns the "name" member of a tools/call's params object, or "" when there is
// none or it is not a string. It reads the bytes without decoding the rest (shared/mcp's
// scanner), because it runs on every call when status tracking is on.
func toolName(params []byte) string {
	name, _ := mcp.StringField(params, "name")
	return name
}
