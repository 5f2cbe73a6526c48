package protocol

import (
	"encoding/json"
	"io"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// benchCall is a typical tools/call frame: a 200-byte request, the caller, a deadline and the
// client's capabilities.
func benchCall() Call {
	return Call{Backend: "github",
		Message: json.RawMessage(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"create_issue","arguments":{"repo":"acme/web","title":"Login button misaligned on Safari","body":"Steps: open /login on Safari 17"}}}`),
		Caller: Caller{UserID: "usr_0123456789abcdef", Name: "alice", Role: "operator", KeyID: "key_0123456789abcdef",
			Application: "cursor", Session: "key_0123456789abcdef/4bf92f3577b34da6a3ce929d0e0e4736"},
		Deadline: 1796000000000, ClientCapabilities: json.RawMessage(`{"sampling":{},"elicitation":{},"roots":{"listChanged":true}}`)}
}

// BenchmarkWriteCall is what the hub pays to send a Call frame (json.Marshal, then the frame).
func BenchmarkWriteCall(b *testing.B) {
	w := NewFrameWriter(io.Discard)
	c := benchCall()
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteJSON(TypeCall, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteResult is what the agent pays to send a 2 KiB result.
func BenchmarkWriteResult(b *testing.B) {
	w := NewFrameWriter(io.Discard)
	id, _ := jsonrpc.MakeID(float64(7))
	text := make([]byte, 2048)
	for i := range text {
		text[i] = 'a' + byte(i%26)
	}
	resp := &jsonrpc.Response{ID: id, Result: json.RawMessage(`{"content":[{"type":"text","text":"` + string(text) + `"}]}`)}
	b.Run("WriteMessage", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(resp.Result)))
		for b.Loop() {
			if err := w.WriteMessage(TypeResult, resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The way both sides wrote it before the shared codec: encode, then copy into a frame.
	b.Run("EncodeThenFrame", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(resp.Result)))
		for b.Loop() {
			raw, err := mcp.EncodeMessage(resp)
			if err != nil {
				b.Fatal(err)
			}
			if err := w.Write(TypeResult, raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
