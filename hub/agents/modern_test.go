package agents_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// A stateless-era backend on an agent: the hub sees its era, a modern client's call gets
// input_required back unchanged, and a legacy client's call is bridged by the agent into a
// server→client request up the call's stream.
func TestModernBackendOnAgent(t *testing.T) {
	out, err := exec.Command(filepath.Join("..", "..", "e2e", "conformance", "everything-server.sh"), "--build-only").Output()
	if err != nil {
		t.Fatalf("build the conformance everything-server: %v", err)
	}
	h := startHub(t, "")
	cfg := config.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = "laptop", h.url(), laptopKey
	cfg.Backends = []backend.Config{{Name: "modern", Transport: "stdio", Command: strings.TrimSpace(string(out))}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	startAgent(t, cfg)
	c := h.waitChange(t, "laptop", func(c change) bool {
		return c.connected && len(c.backends) == 1 && c.backends[0].State == protocol.StateReady
	})
	if v := c.backends[0].ProtocolVersion; v != "2026-07-28" {
		t.Fatalf("protocolVersion %q", v)
	}
	caller := protocol.Caller{UserID: "usr_alice", Name: "alice", Session: "s1"}
	call := func(t *testing.T, sink backend.Sink, pass bool) *jsonrpc.Response {
		t.Helper()
		resp, err := h.reg.Call(context.Background(), "laptop", "modern", &backend.Call{
			Request: toolCall(t, 1, "test_input_required_result_sampling", map[string]any{}, nil),
			Caller:  caller, Sink: sink, PassInputRequired: pass})
		if err != nil || resp.Error != nil {
			t.Fatalf("call: %v %v", err, resp)
		}
		return resp
	}

	t.Run("modern client: input_required passes through", func(t *testing.T) {
		resp := call(t, newSink(), true)
		if !strings.Contains(string(resp.Result), `"input_required"`) || !strings.Contains(string(resp.Result), "capital_question") {
			t.Errorf("result = %s", resp.Result)
		}
	})

	t.Run("legacy client: the agent asks through the stream and retries", func(t *testing.T) {
		sink := newSink()
		sink.answer = func(req *jsonrpc.Request) (*jsonrpc.Response, error) {
			if req.Method != "sampling/createMessage" {
				t.Errorf("asked %s", req.Method)
			}
			return &jsonrpc.Response{Result: json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"Paris"},"model":"m"}`)}, nil
		}
		resp := call(t, sink, false)
		if !strings.Contains(string(resp.Result), "Sampling response: Paris") {
			t.Errorf("result = %s", resp.Result)
		}
	})
}
