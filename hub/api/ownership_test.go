package api_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// userWithKey creates a user of role and a key for it, returning the user and a client.
func userWithKey(t *testing.T, h *hubtest.Hub, name, role string) (api.User, *client) {
	t.Helper()
	owner := newClient(t, h, h.OwnerKey)
	var u api.User
	owner.must(201, "POST", "/users", api.CreateUserRequest{Name: name, Role: role}, &u)
	var k api.APIKey
	owner.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: name + "-main", Scope: "all", UserID: u.ID}, &k)
	return u, newClient(t, h, k.Key)
}

// Regression: a key of user A cannot read user B's keys or audit rows — not by asking for
// them (?user=), not in unfiltered lists, stats or exports, and not by revoking B's key by id.
// An operator (keys.read.all, audit.read.all) can: the check is tested both ways.
// It runs on SQLite and PostgreSQL: the ownership filter is in the store query.
func TestUserCannotReadAnotherUsersKeysOrAudit(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testOwnership(t, hubtest.Start(t, nil)) })
	t.Run("postgres", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		testOwnership(t, hubtest.Start(t, func(c *config.Config) { c.DatabaseURL = url }))
	})
}

func testOwnership(t *testing.T, h *hubtest.Hub) {
	alice, a := userWithKey(t, h, "alice", "viewer")
	bob, b := userWithKey(t, h, "bob", "viewer")
	_, op := userWithKey(t, h, "olga", "operator")
	var bobKey api.APIKey
	b.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "bob-second", Scope: "all"}, &bobKey)
	a.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "alice-second", Scope: "all"}, nil)
	waitAudit(t, newClient(t, h, h.OwnerKey), "kind=admin&user="+bob.ID, 1)
	waitAudit(t, newClient(t, h, h.OwnerKey), "kind=admin&user="+alice.ID, 1)

	// Keys.
	var keys api.List[api.APIKey]
	a.must(200, "GET", "/api-keys", nil, &keys)
	if len(keys.Items) != 2 {
		t.Fatalf("alice's keys: %+v", keys.Items)
	}
	for _, k := range keys.Items {
		if k.UserID != alice.ID {
			t.Fatalf("alice sees a key of %s: %+v", k.UserID, k)
		}
	}
	for _, q := range []string{"?user=" + bob.ID, "?user=*"} {
		if r := a.do("GET", "/api-keys"+q, nil); r.Status != 403 || strings.Contains(r.String(), "bob-second") {
			t.Errorf("alice GET /api-keys%s: %d %s", q, r.Status, r)
		}
	}
	if r := a.do("DELETE", "/api-keys/"+bobKey.ID, nil); r.Status != 404 {
		t.Errorf("alice revoking bob's key: %d %s (want 404: its existence is not confirmed)", r.Status, r)
	}
	newClient(t, h, bobKey.Key).must(200, "GET", "/auth/me", nil, nil) // still valid

	// Audit: rows of bob never reach alice.
	for _, q := range []string{"", "?user=" + bob.ID, "?kind=admin"} {
		r := a.do("GET", "/audit"+q, nil)
		if strings.Contains(q, "user=") {
			if r.Status != 403 {
				t.Errorf("alice GET /audit%s: %d, want 403", q, r.Status)
			}
			continue
		}
		var page api.List[audit.JSONEvent]
		r.JSON(t, &page)
		if r.Status != 200 || len(page.Items) == 0 {
			t.Fatalf("alice GET /audit%s: %d %d items", q, r.Status, len(page.Items))
		}
		for _, e := range page.Items {
			if e.UserID != alice.ID {
				t.Errorf("alice GET /audit%s sees a row of %q: %+v", q, e.UserID, e)
			}
		}
	}
	var st api.AuditStats
	a.must(200, "GET", "/audit/stats", nil, &st)
	var all api.AuditStats
	op.must(200, "GET", "/audit/stats", nil, &all)
	if st.Total < 1 || st.Total >= all.Total {
		t.Errorf("alice's stats count %d of %d rows: want only her own", st.Total, all.Total)
	}
	req, _ := http.NewRequest("GET", h.URL+"/api/v1/audit/export", nil)
	req.Header.Set("Authorization", "Bearer "+a.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	n := 0
	for sc.Scan() {
		var e audit.JSONEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.UserID != alice.ID {
			t.Errorf("alice's export has %s (%v)", sc.Text(), err)
		}
		n++
	}
	if n != int(st.Total) {
		t.Errorf("alice's export has %d rows, her stats %d", n, st.Total)
	}

	// The other way: an operator reads bob's keys and audit rows.
	op.must(200, "GET", "/api-keys?user="+bob.ID, nil, &keys)
	if len(keys.Items) != 2 || keys.Items[1].ID != bobKey.ID {
		t.Errorf("operator GET bob's keys: %+v", keys.Items)
	}
	if evs := waitAudit(t, op, "user="+bob.ID, 1); evs[0].UserID != bob.ID {
		t.Errorf("operator GET bob's audit: %+v", evs[0])
	}
	// …but cannot revoke them (keys.write.all is the owner's).
	if r := op.do("DELETE", "/api-keys/"+bobKey.ID, nil); r.Status != 403 {
		t.Errorf("operator revoking bob's key: %d %s", r.Status, r)
	}
}

// Regression: keys.write.all does not let a custom role mint (or revoke) keys of a user
// whose role it does not cover — a key for the owner would be the owner.
func TestNoEscalationThroughKeys(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	owner.must(201, "POST", "/roles", api.RoleRequest{Name: "keymaster",
		Permissions: []string{"keys.read.own", "keys.write.own", "keys.read.all", "keys.write.all", "users.read"}}, nil)
	_, km := userWithKey(t, h, "kim", "keymaster")
	peer, _ := userWithKey(t, h, "pat", "keymaster")
	var me api.Me
	owner.must(200, "GET", "/auth/me", nil, &me)
	r := km.do("POST", "/api-keys", api.CreateKeyRequest{Name: "mine-now", UserID: me.ID})
	if r.Status != 403 || strings.Contains(r.String(), "mcpgw_") {
		t.Fatalf("keymaster minting an owner key: %d %s", r.Status, r)
	}
	var ownerKeys api.List[api.APIKey]
	km.must(200, "GET", "/api-keys?user="+me.ID, nil, &ownerKeys) // reading is granted (keys.read.all)
	if r := km.do("DELETE", "/api-keys/"+ownerKeys.Items[0].ID, nil); r.Status != 403 {
		t.Fatalf("keymaster revoking the owner's key: %d %s", r.Status, r)
	}
	owner.must(200, "GET", "/auth/me", nil, nil)
	// Both ways: a peer of the same role is covered.
	var k api.APIKey
	km.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "for-pat", Scope: "all", UserID: peer.ID}, &k)
	km.must(204, "DELETE", "/api-keys/"+k.ID, nil, nil)
	// And a role that holds more than the caller's cannot be rewritten by it.
	owner.must(201, "POST", "/roles", api.RoleRequest{Name: "rolesmith", Permissions: []string{"roles.read", "roles.write"}}, nil)
	_, rs := userWithKey(t, h, "rose", "rolesmith")
	if r := rs.do("PUT", "/roles/keymaster", api.RoleRequest{Permissions: []string{}}); r.Status != 403 {
		t.Fatalf("rolesmith rewriting keymaster: %d %s", r.Status, r)
	}
	if r := rs.do("DELETE", "/roles/keymaster", nil); r.Status != 403 {
		t.Fatalf("rolesmith deleting keymaster: %d %s", r.Status, r)
	}
	rs.must(201, "POST", "/roles", api.RoleRequest{Name: "reader", Permissions: []string{"roles.read"}}, nil)
	rs.must(200, "PUT", "/roles/reader", api.RoleRequest{Permissions: []string{}}, nil)
	rs.must(204, "DELETE", "/roles/reader", nil, nil)
}
