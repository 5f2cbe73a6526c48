package api_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// docMatrix reads the permission matrix of the built-in roles from docs/RBAC.md: the
// documented contract this test holds the REST API to.
func docMatrix(t *testing.T) map[string]map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("../../docs/RBAC.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	begin, end := strings.Index(doc, "<!-- matrix:begin"), strings.Index(doc, "<!-- matrix:end -->")
	if begin < 0 || end < begin {
		t.Fatal("docs/RBAC.md has no matrix markers")
	}
	lines := strings.Split(strings.TrimSpace(doc[begin:end]), "\n")[1:]
	header := cells(lines[0])
	m := map[string]map[string]bool{}
	for _, line := range lines[2:] {
		c := cells(line)
		perm := strings.Trim(c[0], "`")
		for i := 2; i < len(c); i++ {
			if m[header[i]] == nil {
				m[header[i]] = map[string]bool{}
			}
			m[header[i]][perm] = c[i] == "✓"
		}
	}
	for _, role := range []string{"owner", "operator", "viewer"} {
		if len(m[role]) != len(rbac.Permissions()) {
			t.Fatalf("docs/RBAC.md: role %s has %d permissions documented, want %d", role, len(m[role]), len(rbac.Permissions()))
		}
	}
	return m
}

func cells(line string) []string {
	parts := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// auditorPerms is the custom role of the matrix: reads across the hub, one write, and
// none of its own keys' writes.
var auditorPerms = []string{"users.read", "roles.read", "keys.read.own", "agents.read", "backends.read",
	"tools.read", "tools.write", "policies.read", "audit.read.all", "usage.read"}

// call is the request the matrix sends to one endpoint for one principal (who names it,
// so created resources do not collide), and the status an allowed caller gets.
type call struct {
	path string
	body any
	ok   int
}

var endpoints = map[string]func(who string) call{
	"GET /openapi.json": func(string) call { return call{"/openapi.json", nil, 200} },
	"POST /auth/login": func(who string) call { // one name each: unknown names lock like users
		return call{"/auth/login", api.LoginRequest{Name: "nobody-" + who, Password: "not a password"}, 401}
	},
	"POST /auth/refresh": func(string) call { return call{"/auth/refresh", api.RefreshRequest{RefreshToken: "x.y.z"}, 401} },
	"POST /auth/password": func(string) call {
		return call{"/auth/password", api.ChangePasswordRequest{New: "short"}, 400}
	},
	"GET /auth/me":       func(string) call { return call{"/auth/me", nil, 200} },
	"GET /users":         func(string) call { return call{"/users", nil, 200} },
	"POST /users":        func(w string) call { return call{"/users", api.CreateUserRequest{Name: "u-" + w, Role: "viewer"}, 201} },
	"GET /users/{id}":    func(string) call { return call{"/users/usr_none", nil, 404} },
	"PATCH /users/{id}":  func(string) call { return call{"/users/usr_none", map[string]any{"disabled": false}, 404} },
	"DELETE /users/{id}": func(string) call { return call{"/users/usr_none", nil, 404} },
	"POST /users/{id}/password": func(string) call {
		return call{"/users/usr_none/password", api.SetPasswordRequest{Password: pw}, 404}
	},
	"GET /roles": func(string) call { return call{"/roles", nil, 200} },
	"POST /roles": func(w string) call {
		return call{"/roles", api.RoleRequest{Name: "r-" + w, Permissions: []string{"tools.read"}}, 201}
	},
	"GET /roles/{name}":     func(string) call { return call{"/roles/viewer", nil, 200} },
	"PUT /roles/{name}":     func(string) call { return call{"/roles/none", api.RoleRequest{Permissions: []string{}}, 404} },
	"DELETE /roles/{name}":  func(string) call { return call{"/roles/none", nil, 404} },
	"GET /api-keys":         func(string) call { return call{"/api-keys", nil, 200} },
	"POST /api-keys":        func(w string) call { return call{"/api-keys", api.CreateKeyRequest{Name: "k-" + w}, 201} },
	"DELETE /api-keys/{id}": func(string) call { return call{"/api-keys/key_none", nil, 404} },
	"PATCH /api-keys/{id}": func(string) call {
		s := "discovery"
		return call{"/api-keys/key_none", api.UpdateKeyRequest{Surface: &s}, 404}
	},
	"GET /agents":                  func(string) call { return call{"/agents", nil, 200} },
	"POST /agents":                 func(w string) call { return call{"/agents", api.EnrollAgentRequest{ID: "a-" + w}, 201} },
	"DELETE /agents/{id}":          func(string) call { return call{"/agents/none", nil, 404} },
	"POST /agents/{id}/rotate-key": func(string) call { return call{"/agents/none/rotate-key", nil, 404} },
	"GET /backends":                func(string) call { return call{"/backends", nil, 200} },
	"POST /backends/{name}": func(w string) call {
		return call{"/backends/b-" + w, api.BackendConfig{Transport: "http", URL: "http://127.0.0.1:9/mcp"}, 201}
	},
	"PUT /backends/{name}": func(string) call {
		return call{"/backends/none", api.BackendConfig{Transport: "http", URL: "http://127.0.0.1:9/"}, 404}
	},
	"DELETE /backends/{name}": func(string) call { return call{"/backends/none", nil, 404} },
	"POST /backends/{name}/login": func(string) call {
		return call{"/backends/none/login", api.LoginStart{RedirectURI: "http://127.0.0.1:9/callback"}, 404}
	},
	"POST /backends/{name}/login/callback": func(string) call {
		return call{"/backends/none/login/callback", map[string]string{"code": "c", "state": "s"}, 409}
	},
	"GET /groups": func(string) call { return call{"/groups", nil, 200} },
	"POST /groups/{name}": func(w string) call {
		return call{"/groups/g-" + w, map[string]any{"agents": []string{"laptop"}}, 201}
	},
	"PUT /groups/{name}":       func(string) call { return call{"/groups/none", map[string]any{"agents": []string{"x"}}, 404} },
	"GET /groups/{name}/tools": func(string) call { return call{"/groups/none/tools", nil, 404} },
	"PATCH /groups/{name}": func(string) call {
		s := "discovery"
		return call{"/groups/none", api.UpdateGroupRequest{Surface: &s}, 404}
	},
	"DELETE /groups/{name}":      func(string) call { return call{"/groups/none", nil, 404} },
	"GET /tools":                 func(string) call { return call{"/tools", nil, 200} },
	"GET /tools/{name}":          func(string) call { return call{"/tools/none", nil, 404} },
	"PATCH /tools/{name}":        func(string) call { return call{"/tools/none", map[string]any{"disabled": true}, 404} },
	"POST /tools/{name}/approve": func(string) call { return call{"/tools/none/approve", nil, 404} },
	"GET /policies":              func(string) call { return call{"/policies", nil, 200} },
	"POST /policies/rules": func(w string) call {
		return call{"/policies/rules", map[string]any{"name": "p-" + w, "effect": "allow", "tools": []string{"zzz"}}, 201}
	},
	"PUT /policies/rules/{name}":    func(string) call { return call{"/policies/rules/none", map[string]any{"effect": "allow"}, 404} },
	"DELETE /policies/rules/{name}": func(string) call { return call{"/policies/rules/none", nil, 404} },
	"PUT /policies/default":         func(string) call { return call{"/policies/default", api.PolicyDefault{Default: "allow"}, 200} },
	"POST /policies/dry-run":        func(string) call { return call{"/policies/dry-run", api.DryRun{Tool: "x"}, 200} },
	"GET /audit":                    func(string) call { return call{"/audit", nil, 200} },
	"GET /audit/stats":              func(string) call { return call{"/audit/stats", nil, 200} },
	"GET /audit/export":             func(string) call { return call{"/audit/export", nil, 200} },
	"GET /usage":                    func(string) call { return call{"/usage", nil, 200} },
	"GET /status":                   func(string) call { return call{"/status", nil, 200} },
	"GET /connect":                  func(string) call { return call{"/connect", nil, 200} },
}

// docEndpoints reads the endpoint table of docs/API.md: "METHOD PATH" → the permission it
// needs, "-" for public endpoints and "" for any signed-in user (the handler then decides
// by ownership).
func docEndpoints(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	begin, end := strings.Index(doc, "<!-- endpoints:begin -->"), strings.Index(doc, "<!-- endpoints:end -->")
	if begin < 0 || end < begin {
		t.Fatal("docs/API.md has no endpoint table markers")
	}
	out := map[string]string{}
	for _, line := range strings.Split(doc[begin:end], "\n")[3:] {
		c := cells(line)
		if len(c) < 3 {
			continue
		}
		perm := strings.Trim(c[2], "`")
		switch perm {
		case "public":
			perm = "-"
		case "signed in":
			perm = ""
		}
		out[strings.Trim(c[0], "`")+" "+strings.Trim(c[1], "`")] = perm
	}
	return out
}

// TestRBACMatrix: every principal (each built-in role, a custom role, no key, an agent key)
// against every endpoint, each cell allowed or refused as docs/RBAC.md (or the custom
// role's definition) says, over HTTP against a real hub.
// It runs on SQLite and on PostgreSQL.
func TestRBACMatrix(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testMatrix(t, hubtest.Start(t, nil)) })
	t.Run("postgres", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		testMatrix(t, hubtest.Start(t, func(c *config.Config) { c.DatabaseURL = url }))
	})
}

func testMatrix(t *testing.T, h *hubtest.Hub) {
	owner := newClient(t, h, h.OwnerKey)
	matrix := docMatrix(t)
	permOf := docEndpoints(t)
	owner.must(201, "POST", "/roles", api.RoleRequest{Name: "auditor", Permissions: auditorPerms}, nil)
	matrix["auditor"] = map[string]bool{}
	for _, p := range auditorPerms {
		matrix["auditor"][p] = true
	}
	keys := map[string]string{"owner": h.OwnerKey, "none": "", "agent": h.EnrollAgent(t, "matrix-agent")}
	for _, role := range []string{"operator", "viewer", "auditor"} {
		var u api.User
		owner.must(201, "POST", "/users", api.CreateUserRequest{Name: "user-" + role, Role: role}, &u)
		var k api.APIKey
		owner.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "matrix", Scope: "all", UserID: u.ID}, &k)
		keys[role] = k.Key
	}

	routes := h.Server.API.(*api.API).Routes()
	seen := map[string]bool{}
	allowed, refused := 0, 0
	for _, rt := range routes {
		id := rt.Method + " " + rt.Path
		seen[id] = true
		mk, ok := endpoints[id]
		perm, documented := permOf[id]
		if !ok || !documented {
			t.Errorf("endpoint %s is not in the RBAC matrix test (%v) or in docs/API.md (%v); add it", id, ok, documented)
			continue
		}
		if declared := map[bool]string{true: "-", false: rt.Perm}[rt.Public]; declared != perm {
			t.Errorf("%s needs %q in the route table, %q in docs/API.md", id, declared, perm)
			continue
		}
		for _, who := range []string{"owner", "operator", "viewer", "auditor", "none", "agent"} {
			c := mk(who)
			r := newClient(t, h, keys[who]).do(rt.Method, c.path, c.body)
			var want int
			var wantPerm string
			switch {
			case perm == "-":
				want = c.ok
			case who == "none":
				want = 401
			case who == "agent":
				want = 403
			case perm == "" || matrix[who][perm]:
				want = c.ok
			default:
				want, wantPerm = 403, perm
			}
			var e struct {
				Error struct{ Code, Permission string } `json:"error"`
			}
			_ = json.Unmarshal(r.Body, &e)
			if r.Status != want || e.Error.Permission != wantPerm {
				t.Errorf("%s as %s: %d (permission %q), want %d (permission %q): %s", id, who, r.Status, e.Error.Permission, want, wantPerm, r)
			}
			if want == 403 || want == 401 {
				refused++
			} else {
				allowed++
			}
		}
	}
	for id := range endpoints {
		if !seen[id] {
			t.Errorf("matrix entry %s is not a registered endpoint", id)
		}
	}
	for id := range permOf {
		if !seen[id] {
			t.Errorf("docs/API.md lists %s, which is not a registered endpoint", id)
		}
	}
	t.Logf("%d endpoints × 6 principals: %d allowed, %d refused", len(routes), allowed, refused)
}
