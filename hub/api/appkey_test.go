package api_test

import (
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// Regression: a key made for an application (policies match it, e.g. "cursor may not run
// destructive tools") cannot shed that application: it creates keys for the same
// application only, and cannot set its user's password (a password login gives a token
// with no application). The user's personal key can do both: tested both ways.
func TestApplicationKeyCannotEscapeItsApplication(t *testing.T) {
	h := hubtest.Start(t, nil)
	alice, personal := userWithKey(t, h, "alice", "viewer")
	var appKey api.APIKey
	personal.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "cursor", Scope: "all", Application: "cursor"}, &appKey)
	app := newClient(t, h, appKey.Key)

	for _, req := range []api.CreateKeyRequest{
		{Name: "personal"},
		{Name: "other-app", Application: "claude"},
		{Name: "for-alice", UserID: alice.ID},
	} {
		if r := app.do("POST", "/api-keys", req); r.Status != 403 || r.ErrorCode() != "forbidden" {
			t.Errorf("app key creates %+v: %d %s, want 403", req, r.Status, r)
		}
	}
	var same api.APIKey
	app.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "cursor-2", Scope: "all", Application: "cursor"}, &same)
	if same.Application != "cursor" {
		t.Errorf("app key made %+v", same)
	}
	// alice has no password yet: "" is her current one, yet the app key may not set it.
	pw := api.ChangePasswordRequest{Current: "", New: "a brand new long password"}
	if r := app.do("POST", "/auth/password", pw); r.Status != 403 || r.ErrorCode() != "forbidden" {
		t.Errorf("app key sets the password: %d %s, want 403", r.Status, r)
	}
	// The personal key may do both.
	personal.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "personal-2", Scope: "all"}, nil)
	personal.must(204, "POST", "/auth/password", pw, nil)
}
