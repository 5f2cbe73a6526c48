package api_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// Regression (issue 10, item 1): backends.write let an operator add a stdio backend, that
// is run any command on the hub's host as the hub: it read the JWT secret from the hub's
// database and forged an owner token. A stdio backend now needs backends.exec, which only
// owner holds among the built-in roles; operators still manage http and sse backends. Each
// decision is tested both ways.
func TestStdioBackendsNeedExec(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	_, op := userWithKey(t, h, "oscar", "operator")
	owner.must(201, "POST", "/roles", api.RoleRequest{Name: "backender", Permissions: []string{rbac.BackendsWrite, rbac.BackendsRead}}, nil)
	_, custom := userWithKey(t, h, "carla", "backender")
	stdio := map[string]any{"transport": "stdio", "command": "/bin/sh", "args": []string{"-c", "cat hub.db >&2"}}
	remote := map[string]any{"transport": "http", "url": "http://127.0.0.1:1/mcp"}

	for who, c := range map[string]*client{"operator": op, "custom role with backends.write": custom} {
		r := c.do("POST", "/backends/evil-"+strings.Fields(who)[0], stdio)
		if r.Status != 403 || r.ErrorCode() != "forbidden" || !strings.Contains(r.Message(), rbac.BackendsExec) {
			t.Errorf("%s creates a stdio backend: %d %s, want 403 naming %s", who, r.Status, r, rbac.BackendsExec)
		}
	}
	// Allowed: http backends for the operator; stdio for the owner.
	op.must(201, "POST", "/backends/remote", remote, nil)
	op.must(200, "PUT", "/backends/remote", map[string]any{"transport": "sse", "url": "http://127.0.0.1:2/sse"}, nil)
	owner.must(201, "POST", "/backends/tool", map[string]any{"transport": "stdio", "command": "/bin/false"}, nil)

	// Changing the owner's stdio backend, into another command or into an http one, is refused
	// to the operator; deleting it is not running anything.
	for _, body := range []map[string]any{stdio, remote} {
		if r := op.do("PUT", "/backends/tool", body); r.Status != 403 || !strings.Contains(r.Message(), rbac.BackendsExec) {
			t.Errorf("operator changes the owner's stdio backend to %v: %d %s, want 403", body["transport"], r.Status, r)
		}
	}
	// Nor may the operator turn its http backend into a stdio one.
	if r := op.do("PUT", "/backends/remote", stdio); r.Status != 403 {
		t.Errorf("operator turns an http backend into stdio: %d %s, want 403", r.Status, r)
	}
	owner.must(200, "PUT", "/backends/tool", map[string]any{"transport": "stdio", "command": "/bin/true"}, nil)
	op.must(204, "DELETE", "/backends/tool", nil, nil)

	var roles api.List[rbac.Role]
	owner.must(200, "GET", "/roles", nil, &roles)
	for _, r := range roles.Items {
		has := false
		for _, p := range r.Permissions {
			has = has || p == rbac.BackendsExec
		}
		if has != (r.Name == rbac.RoleOwner) {
			t.Errorf("role %s: holds %s = %v; want only owner", r.Name, rbac.BackendsExec, has)
		}
	}
}

// Regression (issue 10, item 1): an admin change made with an access token (a password
// login, or a forged one) was audited with no key id, naming only the user; the row now
// names the token ("jwt:" and its jti). A change made with a key names the key's id.
func TestAdminAuditNamesTheCredential(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	var me api.Me
	owner.must(200, "GET", "/auth/me", nil, &me)
	var u api.User
	owner.must(201, "POST", "/users", api.CreateUserRequest{Name: "olga", Role: "operator", Password: pw}, &u)
	pair, r := login(t, h, "olga", pw)
	if r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r)
	}
	byToken := newClient(t, h, pair.AccessToken)
	byToken.must(201, "POST", "/agents", api.EnrollAgentRequest{ID: "by-token"}, nil)
	owner.must(201, "POST", "/agents", api.EnrollAgentRequest{ID: "by-key"}, nil)

	evs := waitAudit(t, owner, "kind=admin", 3)
	got := map[string][2]string{}
	for _, e := range evs {
		got[e.Target] = [2]string{e.UserID, e.KeyID}
	}
	if g := got["by-key"]; g[0] != me.User.ID || g[1] != me.KeyID || g[1] == "" {
		t.Errorf("change made with a key: user %q key %q, want %q and %q", g[0], g[1], me.User.ID, me.KeyID)
	}
	if g := got["by-token"]; g[0] != u.ID || !strings.HasPrefix(g[1], "jwt:") || len(g[1]) < len("jwt:")+16 {
		t.Errorf("change made with an access token: user %q key %q, want %q and jwt:<jti>", g[0], g[1], u.ID)
	}
}

// Regression (issue 10, item 1): a stdio backend that printed the JWT secret (read from the
// hub's database) had it shown in its error by GET /backends. The hub's secrets are now
// scrubbed from whatever a backend says; and the hub's environment (JWT_SECRET, the master
// key) never reaches a backend's: it starts with PATH, HOME and its own variables only.
func TestBackendsNeverHandBackHubSecrets(t *testing.T) {
	secret := "jwt-" + strings.Repeat("s3cr3t", 8)
	t.Setenv("JWT_SECRET", secret)
	masterKey := strings.Repeat("4d", 32) // hex
	t.Setenv("MCPGW_MASTER_KEY", masterKey)
	dir := t.TempDir()
	file := filepath.Join(dir, "stolen")
	if err := os.WriteFile(file, []byte(secret+" "+masterKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	owner.must(201, "POST", "/backends/leaky", map[string]any{"transport": "stdio", "command": "/bin/sh",
		"args": []string{"-c", "echo 'read from the database '$(cat " + file + ") >&2; exit 3"}}, nil)
	owner.must(201, "POST", "/backends/envy", map[string]any{"transport": "stdio", "command": "/bin/sh",
		"env": map[string]string{"OWN": "own-value"}, "args": []string{"-c", "echo env: $(env | sort | tr '\\n' ' ') >&2; exit 3"}}, nil)

	errs := map[string]string{}
	var list api.List[api.Backend]
	if !waitfor.Poll(60*time.Second, func() bool {
		owner.must(200, "GET", "/backends", nil, &list)
		for _, b := range list.Items {
			if b.State == "failed" && strings.Contains(b.Error, ":") {
				errs[b.Name] = b.Error
			}
		}
		return len(errs) == 2
	}) {
		t.Fatalf("backends not failed after 60s: %+v", list.Items)
	}
	if e := errs["leaky"]; strings.Contains(e, secret[:20]) || strings.Contains(e, masterKey[:20]) || !strings.Contains(e, "read from the database ") {
		t.Errorf("leaky backend's error: %q; want its text without the JWT secret and the master key", e)
	}
	e := errs["envy"]
	if !strings.Contains(e, "OWN=own-value") || !strings.Contains(e, "PATH=") {
		t.Errorf("envy backend's error %q: want its own variables and PATH", e)
	}
	for _, name := range []string{"JWT_SECRET", "MCPGW_"} {
		if strings.Contains(e, name) {
			t.Errorf("the hub's %s reached a backend's environment: %q", name, e)
		}
	}
}

// Issue 10, item 1: the JWT secret and the master key are readable through no API. Every GET
// endpoint (with path parameters filled from what exists), the health and metrics endpoints
// and the install scripts are read as the owner after some activity, and none carries either
// in any written form.
func TestNoAPIAnswerCarriesHubSecrets(t *testing.T) {
	secret := "jwt-" + strings.Repeat("Zq9", 12)
	masterKey := strings.Repeat("5e", 32)
	t.Setenv("JWT_SECRET", secret)
	t.Setenv("MCPGW_MASTER_KEY", masterKey)
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	var u api.User
	owner.must(201, "POST", "/users", api.CreateUserRequest{Name: "una", Role: "operator", Password: pw}, &u)
	owner.must(201, "POST", "/backends/remote", map[string]any{"transport": "http", "url": "http://127.0.0.1:1/mcp",
		"headers": map[string]string{"Authorization": "Bearer hdr-secret-value"}}, nil)
	owner.must(201, "POST", "/agents", api.EnrollAgentRequest{ID: "box"}, nil)
	if _, r := login(t, h, "una", pw); r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r)
	}
	fill := strings.NewReplacer("{id}", u.ID, "{name}", "remote", "{agent}", "box", "{user}", u.ID)
	forbidden := []string{secret, masterKey, "hdr-secret-value"}
	check := func(what, body string) {
		for _, s := range forbidden {
			if strings.Contains(body, s) {
				t.Errorf("%s shows a hub secret (%.8s…)", what, s)
			}
		}
	}
	n := 0
	for _, rt := range h.Server.API.(*api.API).Routes() {
		if rt.Method != "GET" {
			continue
		}
		path := fill.Replace(rt.Path)
		r := owner.do("GET", path, nil)
		n++
		check("GET "+path, r.String())
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/install.sh", "/install.ps1"} {
		resp, err := http.Get(h.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check("GET "+p, string(body))
	}
	if n < 10 {
		t.Fatalf("only %d GET endpoints read", n)
	}
}

// Issue 10, item 2: a backend stored in clear by an older hub is served by the new one, which
// seals its row at start; the API shows its headers masked.
func TestHubSealsLegacyBackendRows(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	legacy := `{"transport":"http","url":"http://127.0.0.1:1/mcp","headers":{"Authorization":"Bearer legacy-token-123"}}`
	if _, err := db.ExecContext(ctx, "INSERT INTO backends (name, config, created_by, created_at, updated_at) VALUES ('legacy', ?, 'owner', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')", legacy); err != nil {
		t.Fatal(err)
	}
	h := hubtest.Start(t, func(c *config.Config) { c.DataDir = dir })
	var row string
	if err := db.QueryRowContext(ctx, "SELECT config FROM backends WHERE name = 'legacy'").Scan(&row); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row, "legacy-token-123") || !masterkey.IsSealed(row) {
		t.Errorf("the hub left the legacy row in clear: %s", row)
	}
	r := newClient(t, h, h.OwnerKey).must(200, "GET", "/backends", nil, nil)
	if !strings.Contains(r.String(), `"legacy"`) || !strings.Contains(r.String(), `"Authorization":"***"`) || strings.Contains(r.String(), "legacy-token-123") {
		t.Errorf("GET /backends: %s", r)
	}
}
