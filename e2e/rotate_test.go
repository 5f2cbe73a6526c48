package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// An agent's key is rotated without retiring its id (issue 12): POST
// /api/v1/agents/{id}/rotate-key answers a new key, revokes every older key of that agent
// (two here) and cuts off the agent connected with one; the old key is then refused at the
// tunnel and the agent cannot come back with it, while the same agent with the new key
// reconnects and its tools keep their names. Both ways: before the rotation the old key opens
// the tunnel.
func TestAgentKeyRotationKeepsID(t *testing.T) {
	everything := npmBin(t, "mcp-server-everything")
	hub := hubtest.Start(t, nil)
	oldKey := hub.EnrollAgent(t, "laptop")
	spare := hub.EnrollAgent(t, "laptop") // a second key of the same agent: rotated away too
	other := hub.EnrollAgent(t, "desktop")
	m := &mesh{hub: hub, agentBin: buildBinary(t, "agent/cmd/mcp-gateway-agent")}
	m.agentConf = writeAgentConfig(t, hub.AgentURL(), oldKey, everything)
	m.startAgent(t)
	m.waitTools(t, "laptop__everything__echo")
	tunnel := func(key string) int {
		req, _ := http.NewRequest("GET", hub.URL+"/agent/ws", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := tunnel(spare); code == http.StatusUnauthorized {
		t.Fatal("an enrolled key is refused before any rotation")
	}

	req, _ := http.NewRequest("POST", hub.URL+"/api/v1/agents/laptop/rotate-key", bytes.NewReader(nil))
	req.Header.Set("Authorization", "Bearer "+hub.OwnerKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got api.RotatedAgentKey
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != 200 || got.ID != "laptop" || got.Key == "" || got.RevokedKeys != 2 || !got.Disconnected {
		t.Fatalf("rotate-key: %d %+v", resp.StatusCode, got)
	}
	waitFor(t, 30*time.Second, "the agent on the old key to be cut off", func() bool {
		return !hub.Server.Agents.Connected("laptop")
	})
	for name, key := range map[string]string{"old": oldKey, "spare": spare} {
		if code := tunnel(key); code != http.StatusUnauthorized {
			t.Errorf("the %s key after rotation: HTTP %d, want 401", name, code)
		}
	}
	if code := tunnel(other); code == http.StatusUnauthorized {
		t.Error("rotating laptop's key revoked desktop's")
	}
	if code := tunnel(got.Key); code == http.StatusUnauthorized {
		t.Error("the new key is refused")
	}

	// The same agent, its config given the new key, comes back under the same names.
	m.agent.stop()
	m.agentConf = writeAgentConfig(t, hub.AgentURL(), got.Key, everything)
	m.startAgent(t)
	m.waitTools(t, "laptop__everything__echo")

	// Unknown and revoked ids.
	for path, want := range map[string]int{"/api/v1/agents/nobody/rotate-key": 404, "/api/v1/agents/bad%20id/rotate-key": 400} {
		req, _ := http.NewRequest("POST", hub.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+hub.OwnerKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
