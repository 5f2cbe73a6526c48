package api_test

import (
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
)

const pw = "correct horse battery"

func login(t *testing.T, h *hubtest.Hub, name, password string) (auth.TokenPair, reply) {
	t.Helper()
	var pair auth.TokenPair
	r := newClient(t, h, "").do("POST", "/auth/login", api.LoginRequest{Name: name, Password: password})
	if r.Status == 200 {
		r.JSON(t, &pair)
	}
	return pair, r
}

func TestLoginRefreshAndPasswords(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	if _, r := login(t, h, "owner", pw); r.Status != 401 {
		t.Fatalf("login of a user without a password: %d %s", r.Status, r)
	}
	// The owner sets a first password (no current one yet).
	if r := owner.do("POST", "/auth/password", api.ChangePasswordRequest{New: "short"}); r.Status != 400 || !strings.Contains(r.String(), "too short") {
		t.Fatalf("short password: %d %s", r.Status, r)
	}
	owner.must(204, "POST", "/auth/password", api.ChangePasswordRequest{New: pw}, nil)
	if r := owner.do("POST", "/auth/password", api.ChangePasswordRequest{Current: "wrong password!!", New: pw + "2"}); r.Status != 403 || r.ErrorCode() != "wrong_password" {
		t.Fatalf("change with a wrong current password: %d %s", r.Status, r)
	}
	pair, r := login(t, h, "owner", pw)
	if r.Status != 200 || pair.AccessToken == "" || pair.RefreshToken == "" || pair.TokenType != "Bearer" {
		t.Fatalf("login: %d %s", r.Status, r)
	}
	var me api.Me
	newClient(t, h, pair.AccessToken).must(200, "GET", "/auth/me", nil, &me)
	if me.Name != "owner" || me.Role != "owner" || len(me.Permissions) != len(rbac.Permissions()) || !me.HasPassword {
		t.Fatalf("me with a token: %+v", me)
	}
	// The refresh token is not an access token, and vice versa.
	if r := newClient(t, h, pair.RefreshToken).do("GET", "/users", nil); r.Status != 401 {
		t.Fatalf("refresh token used as access token: %d", r.Status)
	}
	if r := newClient(t, h, "").do("POST", "/auth/refresh", api.RefreshRequest{RefreshToken: pair.AccessToken}); r.Status != 401 {
		t.Fatalf("access token used to refresh: %d", r.Status)
	}
	var next auth.TokenPair
	newClient(t, h, "").must(200, "POST", "/auth/refresh", api.RefreshRequest{RefreshToken: pair.RefreshToken}, &next)
	newClient(t, h, next.AccessToken).must(200, "GET", "/users", nil, nil)
	if r := newClient(t, h, "").do("POST", "/auth/refresh", api.RefreshRequest{}); r.Status != 400 {
		t.Fatalf("empty refresh: %d", r.Status)
	}
}

func TestUserAdministration(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	var bob api.User
	owner.must(201, "POST", "/users", api.CreateUserRequest{Name: "bob", Role: "viewer", Password: pw}, &bob)
	if !bob.HasPassword || bob.Role != "viewer" {
		t.Fatalf("created: %+v", bob)
	}
	if r := owner.do("POST", "/users", api.CreateUserRequest{Name: "bob", Role: "viewer"}); r.Status != 409 {
		t.Fatalf("duplicate name: %d %s", r.Status, r)
	}
	if r := owner.do("POST", "/users", api.CreateUserRequest{Name: "carol", Role: "viewer", Password: "short"}); r.Status != 400 {
		t.Fatalf("short password: %d %s", r.Status, r)
	}
	var list api.List[api.User]
	owner.must(200, "GET", "/users", nil, &list)
	if len(list.Items) != 2 {
		t.Fatalf("users: %+v (the rejected carol must not exist)", list.Items)
	}
	pair, r := login(t, h, "bob", pw)
	if r.Status != 200 {
		t.Fatalf("bob's login: %d %s", r.Status, r)
	}
	var key api.APIKey
	owner.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "bob's", Scope: "all", UserID: bob.ID, Application: "cursor"}, &key)
	if key.Application != "cursor" || key.UserID != bob.ID {
		t.Fatalf("key for bob: %+v", key)
	}
	bobKey, bobToken := newClient(t, h, key.Key), newClient(t, h, pair.AccessToken)
	bobKey.must(200, "GET", "/auth/me", nil, nil)

	// Disabling bob ends his key and his token at once.
	owner.must(200, "PATCH", "/users/"+bob.ID, map[string]any{"disabled": true}, nil)
	for name, c := range map[string]*client{"key": bobKey, "token": bobToken} {
		if r := c.do("GET", "/auth/me", nil); r.Status != 401 {
			t.Errorf("disabled user's %s: %d, want 401", name, r.Status)
		}
	}
	if _, r := login(t, h, "bob", pw); r.Status == 200 {
		t.Fatal("a disabled user logged in")
	}
	owner.must(200, "PATCH", "/users/"+bob.ID, map[string]any{"disabled": false, "name": "robert"}, nil)
	owner.must(204, "POST", "/users/"+bob.ID+"/password", api.SetPasswordRequest{Password: pw + "!"}, nil)
	if _, r := login(t, h, "robert", pw+"!"); r.Status != 200 {
		t.Fatalf("login after an admin reset: %d %s", r.Status, r)
	}

	// The last enabled owner stays.
	var me api.Me
	owner.must(200, "GET", "/auth/me", nil, &me)
	for _, tc := range []struct {
		method string
		body   any
	}{{"PATCH", map[string]any{"role": "viewer"}}, {"PATCH", map[string]any{"disabled": true}}, {"DELETE", nil}} {
		if r := owner.do(tc.method, "/users/"+me.ID, tc.body); r.Status != 409 || !strings.Contains(r.String(), "last enabled owner") {
			t.Errorf("%s of the last owner %v: %d %s", tc.method, tc.body, r.Status, r)
		}
	}
	if r := owner.do("PATCH", "/users/"+bob.ID, map[string]any{}); r.Status != 400 {
		t.Errorf("empty patch: %d", r.Status)
	}
	owner.must(204, "DELETE", "/users/"+bob.ID, nil, nil)
	if r := owner.do("GET", "/users/"+bob.ID, nil); r.Status != 404 {
		t.Fatalf("deleted user: %d", r.Status)
	}
	if r := bobKey.do("GET", "/auth/me", nil); r.Status != 401 {
		t.Fatalf("deleted user's key: %d", r.Status)
	}
}

func TestLoginLockout(t *testing.T) {
	h := hubtest.Start(t, nil)
	newClient(t, h, h.OwnerKey).must(201, "POST", "/users", api.CreateUserRequest{Name: "dave", Role: "viewer", Password: pw}, nil)
	for i := range 5 {
		if _, r := login(t, h, "dave", "not the password"); r.Status != 401 {
			t.Fatalf("failure %d: %d %s", i+1, r.Status, r)
		}
	}
	if _, r := login(t, h, "dave", pw); r.Status != 423 || !strings.Contains(r.String(), "locked until") {
		t.Fatalf("login while locked: %d %s", r.Status, r)
	}
	if _, r := login(t, h, "nobody", "whatever at all"); r.Status != 401 || r.ErrorCode() != api.CodeUnauthorized {
		t.Fatalf("unknown user: %d %s", r.Status, r)
	}
}
