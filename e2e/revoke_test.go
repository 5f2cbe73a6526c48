package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// Revoking an agent (here through the store, as the CLI does) disconnects it from a running
// hub, its tools leave the list, and it cannot connect again. Both ways: before the
// revocation the same agent stays connected through a check.
func TestRevokedAgentIsDisconnected(t *testing.T) {
	everything := npmBin(t, "mcp-server-everything")
	hub := hubtest.Start(t, nil)
	key := hub.EnrollAgent(t, "laptop")
	m := &mesh{hub: hub, agentBin: buildBinary(t, "agent/cmd/mcp-gateway-agent")}
	m.agentConf = writeAgentConfig(t, hub.AgentURL(), key, everything)
	m.startAgent(t)
	m.waitTools(t, "laptop__everything__echo")

	hub.Server.DropRevokedAgents()
	if !hub.Server.Agents.Connected("laptop") {
		t.Fatal("an agent with an active key was disconnected")
	}
	ctx := context.Background()
	if err := hub.Server.Store.RevokeAgent(ctx, "laptop"); err != nil {
		t.Fatal(err)
	}
	if err := hub.Server.Keys.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	hub.Server.DropRevokedAgents()
	waitFor(t, 10*time.Second, "the revoked agent to leave", func() bool {
		return !hub.Server.Agents.Connected("laptop") && len(hub.Server.Router.Table().Tools()) == 0
	})
}
