package e2e

import (
	"errors"
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
}
