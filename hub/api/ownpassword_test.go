package api_test

import (
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// Regression: changing one's own password needs the current one, but the administrators'
// reset (POST /users/{id}/password, users.write) accepted the caller's own id, so a stolen
// owner token or key could set a new password without it and take the account over. The
// reset of one's own user is refused; of another user it works (tested both ways).
func TestAdminResetIsNotForOneself(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	var me api.Me
	owner.must(200, "GET", "/auth/me", nil, &me)
	pw := api.SetPasswordRequest{Password: "a long new password"}
	if r := owner.do("POST", "/users/"+me.ID+"/password", pw); r.Status != 403 || r.ErrorCode() != "forbidden" {
		t.Errorf("admin reset of one's own password: %d %s, want 403", r.Status, r)
	}
	bob, _ := userWithKey(t, h, "bob", "viewer")
	owner.must(204, "POST", "/users/"+bob.ID+"/password", pw, nil)
	owner.must(200, "POST", "/auth/login", api.LoginRequest{Name: "bob", Password: pw.Password}, nil)
}
