package connector

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// A tools/call whose result has isError: true is recorded as a failed call with the tool's
// text (issue 12: the dashboard showed it as ok); a plain result stays ok.
func TestCallRecordToolError(t *testing.T) {
	id, _ := jsonrpc.MakeID(float64(1))
	req := &jsonrpc.Request{ID: id, Method: "tools/call", Params: json.RawMessage(`{"name":"read_file","arguments":{}}`)}
	call := &protocol.Call{Backend: "fs"}
	for result, want := range map[string]string{
		`{"content":[{"type":"text","text":"ENOENT: /nope"}],"isError":true}`: status.CallError,
		`{"content":[{"type":"text","text":"hello"}]}`:                        status.CallOK,
	} {
		rec := callRecord(context.Background(), call, req, &jsonrpc.Response{ID: id, Result: json.RawMessage(result)}, time.Now(), time.Millisecond)
		if rec.Status != want || rec.Tool != "read_file" {
			t.Errorf("result %s: recorded %+v, want status %s", result, rec, want)
		}
		if want == status.CallError && rec.Error != "the tool reported an error: ENOENT: /nope" {
			t.Errorf("error text %q", rec.Error)
		}
	}
}
