package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// A key is limited to what it is for: scope "mcp" reaches /mcp, /sse and /messages and not
// the REST API; "admin" the REST API and not MCP; "all" both. New keys default to "mcp".
// Each refusal names the scope and is audited as denied. Run on SQLite and on PostgreSQL.
func TestKeyScopes(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testKeyScopes(t, hubtest.Start(t, nil)) })
	t.Run("postgres", func(t *testing.T) { testKeyScopes(t, hubtest.Cluster(t, 1, nil)[0]) })
}

func testKeyScopes(t *testing.T, h *hubtest.Hub) {
	owner := newClient(t, h, h.OwnerKey)
	// The owner's bootstrap key administers and makes MCP calls.
	var me api.Me
	owner.must(200, "GET", "/auth/me", nil, &me)
	mcpSession(t, h, h.OwnerKey)

	keys := map[string]api.APIKey{}
	for _, scope := range []string{"", "mcp", "admin", "all"} {
		var k api.APIKey
		owner.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "k-" + scope, Scope: scope}, &k)
		keys[scope] = k
	}
	if got := keys[""].Scope; got != "mcp" {
		t.Errorf("a key made without a scope has scope %q, want mcp", got)
	}
	var list api.List[api.APIKey]
	owner.must(200, "GET", "/api-keys", nil, &list)
	for _, k := range list.Items {
		if want := keys[strings.TrimPrefix(k.Name, "k-")]; k.Name != "owner key (init)" && k.Scope != want.Scope {
			t.Errorf("listed key %s has scope %q, want %q", k.Name, k.Scope, want.Scope)
		}
	}

	// The REST API: admin and all allowed, mcp refused with a message naming the scope.
	for _, scope := range []string{"admin", "all"} {
		newClient(t, h, keys[scope].Key).must(200, "GET", "/auth/me", nil, nil)
	}
	for _, scope := range []string{"", "mcp"} {
		r := newClient(t, h, keys[scope].Key).do("GET", "/auth/me", nil)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Message(), `scope "mcp"`) {
			t.Errorf("mcp key on the REST API: %d %s, want 403 naming the scope", r.Status, r)
		}
	}
	// Not even its own keys: an mcp key handed to an AI client cannot mint a wider one.
	if r := newClient(t, h, keys["mcp"].Key).do("POST", "/api-keys", api.CreateKeyRequest{Name: "wider", Scope: "all"}); r.Status != http.StatusForbidden {
		t.Errorf("mcp key creating a key: %d %s, want 403", r.Status, r)
	}

	// /metrics is part of the admin surface.
	for scope, want := range map[string]int{"mcp": http.StatusForbidden, "admin": http.StatusOK, "all": http.StatusOK} {
		req, _ := http.NewRequest("GET", h.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+keys[scope].Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || want == http.StatusForbidden && !strings.Contains(string(raw), `scope "mcp"`) {
			t.Errorf("%s key on /metrics: %d %s, want %d", scope, resp.StatusCode, raw, want)
		}
	}

	// MCP: mcp and all allowed (streamable HTTP and the old SSE transport), admin refused
	// with a JSON-RPC error naming the scope.
	for _, scope := range []string{"mcp", "all"} {
		s := mcpSession(t, h, keys[scope].Key)
		if _, err := s.ListTools(t.Context(), nil); err != nil {
			t.Errorf("%s key: tools/list: %v", scope, err)
		}
		if st, _ := sseStatus(t, h, keys[scope].Key); st != http.StatusOK {
			t.Errorf("%s key on /sse: %d, want 200", scope, st)
		}
	}
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest("POST", h.MCPURL(), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+keys["admin"].Key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rpc struct {
		JSONRPC string
		Error   struct {
			Code    int
			Message string
		}
	}
	if err := json.Unmarshal(raw, &rpc); err != nil || resp.StatusCode != http.StatusForbidden || rpc.JSONRPC != "2.0" ||
		rpc.Error.Code == 0 || !strings.Contains(rpc.Error.Message, `scope "admin"`) {
		t.Errorf("admin key on /mcp: %d %s, want 403 with a JSON-RPC error naming the scope", resp.StatusCode, raw)
	}
	if st, msg := sseStatus(t, h, keys["admin"].Key); st != http.StatusForbidden || !strings.Contains(msg, `scope \"admin\"`) {
		t.Errorf("admin key on /sse: %d %s, want 403 naming the scope", st, msg)
	}

	// Both kinds of refusal are in the audit trail as denied, under the key that was refused.
	evs := waitAudit(t, owner, "kind=denied", 5)
	seen := map[string]int{}
	for _, e := range evs {
		if e.Rule != "key_scope" || e.Status != "denied" {
			continue
		}
		switch e.KeyID {
		case keys["mcp"].ID, keys[""].ID:
			if strings.Contains(e.Action, "/api/v1/") {
				seen["mcp"]++
			}
		case keys["admin"].ID:
			if strings.Contains(e.Action, "/mcp") || strings.Contains(e.Action, "/sse") {
				seen["admin"]++
			}
		}
	}
	if seen["mcp"] < 3 || seen["admin"] < 2 {
		t.Errorf("denied events by scope: %v, want ≥3 for mcp keys on the API and ≥2 for the admin key on MCP: %+v", seen, evs)
	}

	// A scope the hub does not know is refused, naming it.
	r := owner.do("POST", "/api-keys", api.CreateKeyRequest{Name: "bad", Scope: "root"})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Message(), `"root"`) {
		t.Errorf("scope root: %d %s, want 400 naming it", r.Status, r)
	}
}

// sseStatus opens the old HTTP+SSE transport's stream with key and returns the status and,
// for a refusal, the body.
func sseStatus(t *testing.T, h *hubtest.Hub, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", h.URL+"/sse", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /sse: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, ""
	}
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// A key may act with a role of its own, no higher than its user's: refused at creation
// when above the user's role or the caller's, and refused at use while the user's current
// role does not cover it (a user demoted after the key was made). Run on both stores.
func TestKeyRoleCeiling(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testKeyRoleCeiling(t, hubtest.Start(t, nil)) })
	t.Run("postgres", func(t *testing.T) { testKeyRoleCeiling(t, hubtest.Cluster(t, 1, nil)[0]) })
}

func testKeyRoleCeiling(t *testing.T, h *hubtest.Hub) {
	owner := newClient(t, h, h.OwnerKey)
	var op api.User
	owner.must(201, "POST", "/users", api.CreateUserRequest{Name: "olga", Role: "operator"}, &op)
	var opKey api.APIKey
	owner.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "olga", UserID: op.ID, Scope: "all"}, &opKey)
	olga := newClient(t, h, opKey.Key)
	olga.must(200, "GET", "/agents", nil, nil) // agents.read: operator yes, viewer no

	// Allowed: a narrower role than the user's. The key acts with it, on the API and on /mcp.
	var narrow api.APIKey
	olga.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "narrow", Scope: "all", Role: "viewer"}, &narrow)
	if narrow.Role != "viewer" {
		t.Errorf("created key role %q, want viewer", narrow.Role)
	}
	asViewer := newClient(t, h, narrow.Key)
	var me api.Me
	asViewer.must(200, "GET", "/auth/me", nil, &me)
	if r := asViewer.do("GET", "/agents", nil); r.Status != http.StatusForbidden {
		t.Errorf("viewer-role key of an operator: GET /agents %d, want 403", r.Status)
	}
	mcpSession(t, h, narrow.Key)

	// Refused: a role above the user's, an unknown role, and a key minted by the narrower
	// key that would act with the user's full role (or any role above the caller's).
	for _, tc := range []struct {
		c    *client
		req  api.CreateKeyRequest
		want int
		msg  string
	}{
		{olga, api.CreateKeyRequest{Name: "up", Role: "owner"}, 403, `role "owner" is above this user's role "operator"`},
		{owner, api.CreateKeyRequest{Name: "up", UserID: op.ID, Role: "owner"}, 403, `role "owner" is above this user's role "operator"`},
		{olga, api.CreateKeyRequest{Name: "ghost", Role: "ghost"}, 400, `"ghost" does not exist`},
		{asViewer, api.CreateKeyRequest{Name: "full"}, 403, `does not cover role "operator"`},
		{asViewer, api.CreateKeyRequest{Name: "op", Role: "operator"}, 403, `does not cover role "operator"`},
	} {
		if r := tc.c.do("POST", "/api-keys", tc.req); r.Status != tc.want || !strings.Contains(r.Message(), tc.msg) {
			t.Errorf("create %+v: %d %s, want %d with %q", tc.req, r.Status, r, tc.want, tc.msg)
		}
	}
	asViewer.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "also-viewer", Role: "viewer"}, nil)
	// Nor can the narrower key set the user's password, which would give a full-role token.
	if r := asViewer.do("POST", "/auth/password", api.ChangePasswordRequest{New: "correct horse battery staple"}); r.Status != http.StatusForbidden {
		t.Errorf("viewer-role key changing the password: %d %s, want 403", r.Status, r)
	}

	// At use: an operator-role key of olga works while olga is an operator...
	var opRole api.APIKey
	owner.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "op-role", UserID: op.ID, Scope: "all", Role: "operator"}, &opRole)
	withRole := newClient(t, h, opRole.Key)
	withRole.must(200, "GET", "/agents", nil, nil)
	mcpSession(t, h, opRole.Key)
	// ...and is refused, on the API and on /mcp, once she is demoted to viewer; her key
	// without a role of its own follows her role down.
	viewer := "viewer"
	owner.must(200, "PATCH", "/users/"+op.ID, api.UpdateUserRequest{Role: &viewer}, nil)
	if r := withRole.do("GET", "/auth/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("operator-role key of a demoted user: GET /auth/me %d %s, want 401", r.Status, r)
	}
	if st := mcpStatus(t, h, opRole.Key); st != http.StatusUnauthorized {
		t.Errorf("operator-role key of a demoted user on /mcp: %d, want 401", st)
	}
	if r := olga.do("GET", "/agents", nil); r.Status != http.StatusForbidden {
		t.Errorf("demoted user's own key: GET /agents %d, want 403", r.Status)
	}
	asViewer.must(200, "GET", "/auth/me", nil, nil) // viewer ≤ viewer: still fine
	// Promoted back, the key works again.
	operator := "operator"
	owner.must(200, "PATCH", "/users/"+op.ID, api.UpdateUserRequest{Role: &operator}, nil)
	withRole.must(200, "GET", "/agents", nil, nil)
}

// mcpStatus sends an initialize to /mcp with key and returns the HTTP status.
func mcpStatus(t *testing.T, h *hubtest.Hub, key string) int {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest("POST", h.MCPURL(), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
