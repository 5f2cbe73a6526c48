package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

const viewerPolicy = `
default = "allow"

[[rules]]
name = "viewers-read"
effect = "allow"
roles = ["viewer"]
risk = ["read"]

[[rules]]
name = "viewers-only-read"
effect = "deny"
roles = ["viewer"]
reason = "viewers may only call read tools"
`

// restCall sends one REST API request with a bearer key and decodes the JSON answer.
func restCall(t *testing.T, hub *hubtest.Hub, key, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, hub.URL+"/api/v1"+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// newUserKey creates a user with a role through the REST API and returns its new key.
func newUserKey(t *testing.T, hub *hubtest.Hub, name, role string) string {
	t.Helper()
	var u struct{ ID string }
	if st := restCall(t, hub, hub.OwnerKey, "POST", "/users", map[string]string{"name": name, "role": role}, &u); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("create user %s: status %d", name, st)
	}
	var k struct{ Key string }
	if st := restCall(t, hub, hub.OwnerKey, "POST", "/api-keys", map[string]string{"name": name, "user_id": u.ID}, &k); st >= 300 || k.Key == "" {
		t.Fatalf("create key for %s: status %d", name, st)
	}
	return k.Key
}

func sessionAs(t *testing.T, hub *hubtest.Hub, key string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-governance", Version: "1"}, nil)
	cs, err := client.Connect(ctxFor(t, time.Minute), &mcp.StreamableClientTransport{Endpoint: hub.MCPURL(), HTTPClient: authClient(key)}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// TestGovernanceThroughMesh: through a real hub and agent, a viewer-role key sees only the
// tools the policy allows it, a denied call is refused and audited with its rule, a custom
// role's tool deny hides and refuses a tool, and the hub's own stdio backend does not see
// the hub's secrets.
func TestGovernanceThroughMesh(t *testing.T) {
	t.Setenv("JWT_SECRET", "hub-secret-that-must-not-leak-0123456789")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-that-must-not-leak")
	everything := npmBin(t, "mcp-server-everything")
	file := filepath.Join(t.TempDir(), "policy.toml")
	if err := os.WriteFile(file, []byte(viewerPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	hub := hubtest.Start(t, func(c *config.Config) {
		c.PolicyFile = file
		c.Backends = []backend.Config{{Name: "local", Transport: "stdio", Command: everything}}
	})
	conf := writeAgentConfig(t, hub.AgentURL(), hub.EnrollAgent(t, "laptop"), everything)
	start(t, nil, buildBinary(t, "agent/cmd/mcp-gateway-agent"), "run", "--headless", "--config", conf)
	(&mesh{hub: hub}).waitTools(t, "laptop__everything__echo", "laptop__everything__toggle-simulated-logging", "local__get-env")
	ctx := ctxFor(t, 2*time.Minute)

	t.Run("viewer sees and calls only read tools", func(t *testing.T) {
		cs := sessionAs(t, hub, newUserKey(t, hub, "vera", "viewer"))
		names := listNames(t, ctx, cs)
		if !names["laptop__everything__echo"] || !names["laptop__everything__get-sum"] {
			t.Errorf("viewer misses read tools: %v", names)
		}
		for _, n := range []string{"laptop__everything__toggle-simulated-logging", "laptop__everything__trigger-sampling-request", "laptop__everything__gzip-file-as-resource"} {
			if names[n] {
				t.Errorf("viewer sees %s", n)
			}
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: map[string]any{"message": "hello from vera"}})
		if err != nil || !strings.Contains(text(res.Content), "hello from vera") {
			t.Fatalf("viewer echo: %v", err)
		}
		wantRefused(t, ctx, cs, "laptop__everything__toggle-simulated-logging", "viewers may only call read tools")

		var events []map[string]any
		waitFor(t, 10*time.Second, "the denial in the audit trail", func() bool {
			events = nil
			restCall(t, hub, hub.OwnerKey, "GET", "/audit?kind=denied&tool=laptop__everything__toggle-simulated-logging", nil, &struct {
				Items *[]map[string]any `json:"items"`
			}{&events})
			return len(events) > 0
		})
		ev := events[0]
		if ev["rule"] != "viewers-only-read" || ev["decision"] != "deny" || ev["caller"] != "vera" || ev["role"] != "viewer" || ev["agent"] != "laptop" {
			t.Errorf("denial audited as %v", ev)
		}
	})

	t.Run("custom role tool deny", func(t *testing.T) {
		if err := hub.Server.RBAC.CreateRole(ctx, &store.Role{Name: "support", Permissions: []string{"tools.call"}, ToolDeny: []string{"*get-env"}}); err != nil {
			t.Fatal(err)
		}
		cs := sessionAs(t, hub, newUserKey(t, hub, "sam", "support"))
		names := listNames(t, ctx, cs)
		if names["laptop__everything__get-env"] || names["local__get-env"] || !names["laptop__everything__echo"] {
			t.Errorf("support role lists %v", names)
		}
		wantRefused(t, ctx, cs, "laptop__everything__get-env", "may not call tool")
	})

	t.Run("a disabled tool is refused by every name", func(t *testing.T) {
		cs := sessionAs(t, hub, hub.OwnerKey)
		if st := restCall(t, hub, hub.OwnerKey, "PATCH", "/tools/laptop__everything__get-sum", map[string]any{"disabled": true}, nil); st != http.StatusOK {
			t.Fatalf("disable: status %d", st)
		}
		if listNames(t, ctx, cs)["laptop__everything__get-sum"] {
			t.Error("a disabled tool is listed")
		}
		wantRefused(t, ctx, cs, "laptop__everything__get-sum", "disabled")
		if st := restCall(t, hub, hub.OwnerKey, "PATCH", "/tools/laptop__everything__get-sum", map[string]any{"disabled": false}, nil); st != http.StatusOK {
			t.Fatalf("enable: status %d", st)
		}
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__get-sum", Arguments: map[string]any{"a": 1, "b": 2}}); err != nil {
			t.Errorf("re-enabled tool: %v", err)
		}
	})

	t.Run("a revoked or expired key is refused at once", func(t *testing.T) {
		var u struct{ ID string }
		restCall(t, hub, hub.OwnerKey, "POST", "/users", map[string]string{"name": "rita", "role": "viewer"}, &u)
		var k struct{ ID, Key string }
		restCall(t, hub, hub.OwnerKey, "POST", "/api-keys", map[string]string{"name": "rita", "user_id": u.ID}, &k)
		if got := mcpStatus(t, hub, k.Key); got != http.StatusOK {
			t.Fatalf("fresh key: status %d", got)
		}
		if st := restCall(t, hub, hub.OwnerKey, "DELETE", "/api-keys/"+k.ID, nil, nil); st >= 300 {
			t.Fatalf("revoke: status %d", st)
		}
		if got := mcpStatus(t, hub, k.Key); got != http.StatusUnauthorized {
			t.Errorf("revoked key: status %d, want 401 at once", got)
		}
		var e struct{ Key string }
		exp := time.Now().Add(1500 * time.Millisecond).UTC()
		restCall(t, hub, hub.OwnerKey, "POST", "/api-keys", map[string]any{"name": "short", "user_id": u.ID, "expires_at": exp}, &e)
		if got := mcpStatus(t, hub, e.Key); got != http.StatusOK {
			t.Fatalf("key before its expiry: status %d", got)
		}
		time.Sleep(time.Until(exp) + 10*time.Millisecond) // the expiry is a time on the clock, not a server to wait for
		if got := mcpStatus(t, hub, e.Key); got != http.StatusUnauthorized {
			t.Errorf("expired key: status %d, want 401 at once", got)
		}
	})

	t.Run("metrics count calls and refusals, for keys that may read usage", func(t *testing.T) {
		get := func(key string) (int, string) {
			req, _ := http.NewRequest("GET", hub.URL+"/metrics", nil)
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if st, _ := get(""); st != http.StatusUnauthorized {
			t.Errorf("no key: %d, want 401", st)
		}
		if st, _ := get(newUserKey(t, hub, "vic", "viewer")); st != http.StatusForbidden {
			t.Errorf("viewer: %d, want 403", st)
		}
		st, body := get(hub.OwnerKey)
		for _, want := range []string{
			`mcpgw_calls_total{agent="laptop",backend="everything",method="tools/call",status="ok",tool="laptop__everything__echo"}`,
			`mcpgw_denied_total{rule="viewers-only-read"} 1`,
			`mcpgw_call_duration_seconds_bucket{agent="laptop",backend="everything",method="tools/call"`,
			"mcpgw_agents_connected 1",
			"mcpgw_audit_recorded_events_total",
		} {
			if st != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("owner: status %d, metrics lack %s", st, want)
			}
		}
	})

	t.Run("hub-local stdio backend does not inherit the hub's secrets", func(t *testing.T) {
		cs := sessionAs(t, hub, hub.OwnerKey)
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "local__get-env", Arguments: map[string]any{}})
		if err != nil {
			t.Fatal(err)
		}
		env := text(res.Content)
		if !strings.Contains(env, "PATH") {
			t.Fatalf("get-env returned %q", env)
		}
		for _, secret := range []string{"JWT_SECRET", "hub-secret-that-must-not-leak", "AWS_SECRET_ACCESS_KEY", "DATABASE_URL", "MCPGW_"} {
			if strings.Contains(env, secret) {
				t.Errorf("the hub's stdio backend sees %s", secret)
			}
		}
	})
}

// mcpStatus is the HTTP status of an MCP initialize with the key.
func mcpStatus(t *testing.T, hub *hubtest.Hub, key string) int {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest("POST", hub.MCPURL(), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
