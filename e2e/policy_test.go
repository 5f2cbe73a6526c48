package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

const e2ePolicy = `
default = "allow"

[[rules]]
name = "no-env-for-owner"
effect = "deny"
tools = ["laptop__everything__get-env"]
roles = ["owner"]
reason = "environment variables stay on the laptop"

[[rules]]
name = "no-secret-echo"
effect = "deny"
tools = ["echo"]
when = [{ arg = "message", glob = "*secret*" }]
reason = "no secrets through echo"
`

// TestPolicyThroughMesh runs a hub with policy_file set and an agent "laptop" serving
// server-everything: the go-sdk client (the owner) does not see the denied tool, a call to
// it is refused with the rule's reason, and echo works unless its argument hits a condition.
func TestPolicyThroughMesh(t *testing.T) {
	everything := npmBin(t, "mcp-server-everything")
	file := filepath.Join(t.TempDir(), "policy.toml")
	if err := os.WriteFile(file, []byte(e2ePolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	hub := hubtest.Start(t, func(c *config.Config) { c.PolicyFile = file })
	conf := writeAgentConfig(t, hub.AgentURL(), hub.EnrollAgent(t, "laptop"), everything)
	start(t, nil, buildBinary(t, "agent/cmd/mcp-gateway-agent"), "run", "--headless", "--config", conf)
	m := &mesh{hub: hub}
	m.waitTools(t, "laptop__everything__echo", "laptop__everything__get-env")

	ctx := ctxFor(t, 2*time.Minute)
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-policy", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hub.MCPURL(), HTTPClient: authClient(hub.OwnerKey)}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer cs.Close()

	names := map[string]bool{}
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		names[tool.Name] = true
	}
	if names["laptop__everything__get-env"] || !names["laptop__everything__echo"] || !names["laptop__everything__get-sum"] {
		t.Errorf("tools/list: get-env must be hidden, echo and get-sum listed: %v", names)
	}

	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__get-env", Arguments: map[string]any{}})
	var werr *jsonrpc.Error
	if !errors.As(err, &werr) || werr.Code != -32010 || !strings.Contains(werr.Message, "environment variables stay on the laptop") ||
		!strings.Contains(werr.Message, "no-env-for-owner") {
		t.Errorf("get-env: want a -32010 refusal naming the rule and its reason, got %v", err)
	}

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: map[string]any{"message": "hi through the policy"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := text(res.Content); !strings.Contains(got, "hi through the policy") {
		t.Errorf("echo: got %q", got)
	}
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: map[string]any{"message": "my secret"}})
	if err == nil || !strings.Contains(err.Error(), "no secrets through echo") {
		t.Errorf("echo of a secret: want the no-secret-echo refusal, got %v", err)
	}

	// Regression (issue 10 items 9, 10): a duplicated argument was checked on its last value
	// and forwarded with both; invalid UTF-8 was forwarded. Both are refused with -32602
	// under the request's id (a stateless 2026-07-28 request, as the SDK client sends).
	for args, want := range map[string]string{
		`{"message":"my secret","message":"ok"}`: `invalid params: duplicate key "message" at params.arguments`,
		`{"message":"caf` + "\xe9" + `"}`:        `invalid params: invalid UTF-8 at params.arguments.message`,
	} {
		meta := `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}}`
		body := `{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{` + meta + `,"name":"laptop__everything__echo","arguments":` + args + `}}`
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub.MCPURL(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", "tools/call")
		req.Header.Set("Mcp-Name", "laptop__everything__echo")
		resp, err := authClient(hub.OwnerKey).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if i := bytes.Index(raw, []byte("data: ")); i >= 0 { // an SSE reply: its one message
			raw = bytes.TrimSpace(raw[i+len("data: "):])
		}
		var reply struct {
			ID    json.RawMessage
			Error *jsonrpc.Error
		}
		if err := json.Unmarshal(raw, &reply); err != nil || string(reply.ID) != "41" || reply.Error == nil ||
			reply.Error.Code != -32602 || reply.Error.Message != want {
			t.Errorf("%s: status %d, reply %s; want -32602 %q under id 41", args, resp.StatusCode, raw, want)
		}
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: map[string]any{"message": "still here"}})
	if err != nil || !strings.Contains(text(res.Content), "still here") {
		t.Errorf("echo after the refusals: %v", err)
	}
}
