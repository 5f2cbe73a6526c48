package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// `agents rotate-key ID`, through the REST API and on the store, prints a new key for the same
// agent id; the key it replaces no longer opens the agent's tunnel.
func TestAgentsRotateKey(t *testing.T) {
	h := hubtest.Start(t, nil)
	keyRe := regexp.MustCompile(`mcpgw_\S+`)
	first := keyRe.FindString(mustCLI(t, h, "shown once", "agents", "enroll", "laptop"))
	out := mustCLI(t, h, "new key", "agents", "rotate-key", "laptop")
	second := keyRe.FindString(out)
	if second == "" || second == first {
		t.Fatalf("rotate-key printed %q", out)
	}
	ctx := context.Background()
	if err := h.Server.Keys.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.Server.Keys.Lookup(first); ok {
		t.Error("the replaced key still works")
	}
	if id, ok := h.Server.Keys.Lookup(second); !ok || id.AgentID != "laptop" {
		t.Errorf("the new key: %+v %v", id, ok)
	}
	if out, err := hubCLI(t, h, "", "agents", "rotate-key", "nobody"); err == nil || !strings.Contains(err.Error()+out, "not enrolled") {
		t.Errorf("rotate-key of an unknown agent: %v %s", err, out)
	}

	// On the store, as for a hub that is not running.
	out, err := run(t, "agents", "rotate-key", "laptop", "--data-dir", h.DataDir)
	third := keyRe.FindString(out)
	if err != nil || third == "" || third == second || !strings.Contains(out, "1 old key(s) revoked") {
		t.Fatalf("store rotate-key: %v %s", err, out)
	}
}
