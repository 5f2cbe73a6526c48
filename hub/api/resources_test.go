package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

func TestKeyLifecycle(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	var k api.APIKey
	owner.must(201, "POST", "/api-keys", map[string]any{"name": "ci", "expires_in": "24h", "scope": "all"}, &k)
	if k.Key == "" || k.ID == "" || k.ExpiresAt == nil || k.Prefix != k.Key[:len(k.Prefix)] {
		t.Fatalf("created key: %+v", k)
	}
	var list api.List[api.APIKey]
	owner.must(200, "GET", "/api-keys", nil, &list)
	if len(list.Items) != 2 {
		t.Fatalf("list: %+v", list)
	}
	for _, it := range list.Items {
		if it.Key != "" {
			t.Fatalf("list shows a plaintext key: %+v", it)
		}
	}
	fresh := newClient(t, h, k.Key)
	fresh.must(200, "GET", "/users", nil, nil)
	fresh.must(204, "DELETE", "/api-keys/"+k.ID, nil, nil)
	// Refused by the very next request: the cache was refreshed by the revocation.
	if r := fresh.do("GET", "/users", nil); r.Status != 401 {
		t.Fatalf("revoked key: %d, want 401 at once", r.Status)
	}
	if r := owner.do("DELETE", "/api-keys/key_nope", nil); r.Status != 404 {
		t.Fatalf("revoke unknown key: %d", r.Status)
	}
}

func TestAgentLifecycle(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	var en api.EnrolledAgent
	owner.must(201, "POST", "/agents", map[string]any{"id": "laptop"}, &en)
	if en.ID != "laptop" || len(en.Key) < 40 {
		t.Fatalf("enrolled: %+v", en)
	}
	if _, ok := h.Server.Keys.Lookup(en.Key); !ok {
		t.Fatal("the new agent key is not in the key cache at once")
	}
	var list api.List[api.Agent]
	owner.must(200, "GET", "/agents", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != "laptop" || list.Items[0].Connected || list.Items[0].RevokedAt != nil {
		t.Fatalf("agents: %+v", list)
	}
	owner.must(204, "DELETE", "/agents/laptop", nil, nil)
	if _, ok := h.Server.Keys.Lookup(en.Key); ok {
		t.Fatal("a revoked agent's key still resolves")
	}
	owner.must(200, "GET", "/agents", nil, &list)
	if list.Items[0].RevokedAt == nil {
		t.Fatalf("agents after revoke: %+v", list)
	}
	if r := owner.do("POST", "/agents", map[string]any{"id": "laptop"}); r.Status != 409 {
		t.Fatalf("re-enrolling a revoked id: %d %s", r.Status, r)
	}
	if r := owner.do("DELETE", "/agents/ghost", nil); r.Status != 404 {
		t.Fatalf("revoke unknown agent: %d %s", r.Status, r)
	}
}

// echoMCP is a real streamable HTTP MCP server with one tool.
func echoMCP(t *testing.T) string {
	server := mcp.NewServer(&mcp.Implementation{Name: "echo", Version: "1"}, nil)
	server.AddTool(&mcp.Tool{Name: "echo", Description: "Echo the input back", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil
		})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	t.Cleanup(srv.Close)
	return srv.URL
}

func waitBackend(t *testing.T, c *client, name, state string) api.Backend {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var list api.List[api.Backend]
		c.must(200, "GET", "/backends", nil, &list)
		for _, b := range list.Items {
			if b.Agent == "" && b.Name == name && b.State == state {
				return b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %s never reached %s: %+v", name, state, list.Items)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBackendLifecycle(t *testing.T) {
	url := echoMCP(t)
	h := hubtest.Start(t, func(c *config.Config) {
		c.Backends = []backend.Config{{Name: "fromfile", Transport: backend.TransportHTTP, URL: url}}
	})
	owner := newClient(t, h, h.OwnerKey)
	cfg := map[string]any{"transport": "http", "url": url, "headers": map[string]string{"Authorization": "Bearer s3cret"}}
	var created api.Backend
	owner.must(201, "POST", "/backends/echo", cfg, &created)
	if created.Source != api.SourceAPI || created.Config.Headers["Authorization"] != "***" {
		t.Fatalf("created: %+v (secrets must be hidden)", created)
	}
	b := waitBackend(t, owner, "echo", "ready")
	if b.Tools != 1 || b.Source != api.SourceAPI {
		t.Fatalf("ready backend: %+v", b)
	}
	if f := waitBackend(t, owner, "fromfile", "ready"); f.Source != api.SourceConfig || f.Config != nil {
		t.Fatalf("hub.toml backend: %+v", f)
	}
	if r := owner.do("POST", "/backends/echo", cfg); r.Status != 409 {
		t.Fatalf("duplicate create: %d %s", r.Status, r)
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		var body any = cfg
		if m == "DELETE" {
			body = nil
		}
		if r := owner.do(m, "/backends/fromfile", body); r.Status != 409 || r.ErrorCode() != api.CodeConflict {
			t.Fatalf("%s on a hub.toml backend: %d %s", m, r.Status, r)
		}
	}
	if r := owner.do("PUT", "/backends/nope", cfg); r.Status != 404 {
		t.Fatalf("PUT unknown: %d %s", r.Status, r)
	}
	owner.must(200, "PUT", "/backends/echo", map[string]any{"transport": "http", "url": url, "naming": "auto"}, nil)
	if b := waitBackend(t, owner, "echo", "ready"); b.Naming != "auto" {
		t.Fatalf("after PUT: %+v", b)
	}
	owner.must(204, "DELETE", "/backends/echo", nil, nil)
	var list api.List[api.Backend]
	owner.must(200, "GET", "/backends", nil, &list)
	for _, b := range list.Items {
		if b.Name == "echo" {
			t.Fatalf("deleted backend still listed: %+v", b)
		}
	}
	if r := owner.do("DELETE", "/backends/echo", nil); r.Status != 404 {
		t.Fatalf("second delete: %d", r.Status)
	}
}

// Backends created through the API are started again when the hub restarts.
func TestStoredBackendStartsWithTheHub(t *testing.T) {
	url := echoMCP(t)
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range []*store.BackendRecord{
		{Name: "kept", Config: `{"transport":"http","url":"` + url + `"}`, CreatedBy: "owner"},
		{Name: "fromfile", Config: `{"transport":"http","url":"http://127.0.0.1:9/"}`, CreatedBy: "owner"}, // shadowed by hub.toml
		{Name: "broken", Config: `{"transport":"carrier-pigeon"}`, CreatedBy: "owner"},                     // skipped, logged
	} {
		if err := st.CreateBackend(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	h := hubtest.Start(t, func(c *config.Config) {
		c.DataDir = dir
		c.Backends = []backend.Config{{Name: "fromfile", Transport: backend.TransportHTTP, URL: url}}
	})
	owner := newClient(t, h, h.OwnerKey)
	if b := waitBackend(t, owner, "kept", "ready"); b.Source != api.SourceAPI || b.Tools != 1 {
		t.Fatalf("stored backend after start: %+v", b)
	}
	if b := waitBackend(t, owner, "fromfile", "ready"); b.Source != api.SourceConfig {
		t.Fatalf("hub.toml backend shadowing a stored one: %+v", b)
	}
}

func TestRoleValidation(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		msg          string
	}{
		{"POST", "/roles", api.RoleRequest{Name: "x", Permissions: []string{"fly"}}, 400, `unknown permission "fly"`},
		{"POST", "/roles", api.RoleRequest{Name: "bad name", Permissions: []string{}}, 400, "invalid role name"},
		{"POST", "/roles", api.RoleRequest{Name: "owner", Permissions: []string{}}, 409, "built in"},
		{"POST", "/roles", api.RoleRequest{Name: "x", Permissions: []string{}, ToolAllow: []string{"[oops"}}, 400, "tool_allow"},
		{"PUT", "/roles/viewer", api.RoleRequest{Permissions: []string{}}, 409, "built in"},
		{"DELETE", "/roles/operator", nil, 409, "built in"},
		{"PUT", "/roles/ghost", api.RoleRequest{Permissions: []string{}}, 404, "does not exist"},
	} {
		r := owner.do(tc.method, tc.path, tc.body)
		if r.Status != tc.status || !strings.Contains(r.Message(), tc.msg) {
			t.Errorf("%s %s %v: %d %s, want %d with %q", tc.method, tc.path, tc.body, r.Status, r, tc.status, tc.msg)
		}
	}
	owner.must(201, "POST", "/roles", api.RoleRequest{Name: "helper", Permissions: []string{"tools.read"}}, nil)
	if r := owner.do("POST", "/roles", api.RoleRequest{Name: "helper", Permissions: []string{}}); r.Status != 409 {
		t.Errorf("duplicate role: %d %s", r.Status, r)
	}
	owner.must(201, "POST", "/users", api.CreateUserRequest{Name: "h", Role: "helper"}, nil)
	if r := owner.do("DELETE", "/roles/helper", nil); r.Status != 409 || !strings.Contains(r.String(), "in use") {
		t.Errorf("deleting a role in use: %d %s", r.Status, r)
	}
	// No escalation: an operator (no roles.write) cannot, and a custom role holding
	// users.write cannot make anyone an owner or give a role it does not cover.
	owner.must(201, "POST", "/roles", api.RoleRequest{Name: "hr", Permissions: []string{"users.read", "users.write", "keys.read.own"}}, nil)
	_, hr := userWithKey(t, h, "harriet", "hr")
	for _, role := range []string{"owner", "operator", "viewer"} {
		if r := hr.do("POST", "/users", api.CreateUserRequest{Name: "new-" + role, Role: role}); r.Status != 403 || !strings.Contains(r.String(), "does not cover") {
			t.Errorf("hr giving %s: %d %s", role, r.Status, r)
		}
	}
	var ownerUser api.User
	var list api.List[api.User]
	owner.must(200, "GET", "/users", nil, &list)
	for _, u := range list.Items {
		if u.Role == "owner" {
			ownerUser = u
		}
	}
	if r := hr.do("PATCH", "/users/"+ownerUser.ID, map[string]any{"disabled": true}); r.Status != 403 {
		t.Errorf("hr disabling the owner: %d %s", r.Status, r)
	}
	if r := hr.do("POST", "/users/"+ownerUser.ID+"/password", api.SetPasswordRequest{Password: pw}); r.Status != 403 {
		t.Errorf("hr resetting the owner's password: %d %s", r.Status, r)
	}
}
