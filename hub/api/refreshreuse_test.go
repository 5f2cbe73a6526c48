package api_test

import (
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// A refresh token used twice through the REST API is refused (401), ends the sessions of
// its user, and is on record: an audit event auth.refresh, denied, for that user. A token
// used once is exchanged and leaves no such event (tested both ways).
func TestRefreshTokenReuseIsRefusedAndAudited(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	var u api.User
	owner.must(201, "POST", "/users", api.CreateUserRequest{Name: "rita", Role: "viewer", Password: pw}, &u)
	anon := newClient(t, h, "")
	var first, second auth.TokenPair
	anon.must(200, "POST", "/auth/login", api.LoginRequest{Name: "rita", Password: pw}, &first)
	anon.must(200, "POST", "/auth/refresh", api.RefreshRequest{RefreshToken: first.RefreshToken}, &second)
	if r := anon.do("POST", "/auth/refresh", api.RefreshRequest{RefreshToken: first.RefreshToken}); r.Status != 401 {
		t.Fatalf("reused refresh token: %d %s, want 401", r.Status, r)
	}
	if r := newClient(t, h, second.AccessToken).do("GET", "/auth/me", nil); r.Status != 401 {
		t.Errorf("access token of the chain after a reuse: %d, want 401", r.Status)
	}
	evs := waitAudit(t, owner, "kind=login&user="+u.ID+"&status=denied", 1)
	if ev := evs[0]; ev.Action != "auth.refresh" || ev.Caller != "rita" || ev.Decision != "deny" {
		t.Errorf("reuse audited as %+v", ev)
	}
	if n := len(waitAudit(t, owner, "kind=login&user="+u.ID, 1)); n != 2 { // the login and the reuse
		t.Errorf("%d login events for rita, want 2 (no event for the good exchange)", n)
	}
}
