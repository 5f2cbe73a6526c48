package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

func TestAuthentication(t *testing.T) {
	h := hubtest.Start(t, nil)
	agentKey := h.EnrollAgent(t, "laptop")
	for _, tc := range []struct {
		name, key string
		status    int
		code      string
	}{
		{"no credentials", "", 401, api.CodeUnauthorized},
		{"unknown key", "mcpgw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 401, api.CodeUnauthorized},
		{"malformed token", "not-a-token", 401, api.CodeUnauthorized},
		{"agent key", agentKey, 403, api.CodeForbidden},
		{"owner key", h.OwnerKey, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newClient(t, h, tc.key).do("GET", "/users", nil)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Fatalf("status %d code %q, want %d %q: %s", r.Status, r.ErrorCode(), tc.status, tc.code, r)
			}
			if tc.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("401 without a Bearer WWW-Authenticate: %q", r.Header.Get("WWW-Authenticate"))
			}
			if tc.status != 401 && r.Header.Get("WWW-Authenticate") != "" {
				t.Errorf("WWW-Authenticate on a %d", r.Status)
			}
		})
	}
	// A Basic header is not a bearer credential.
	req, _ := http.NewRequest("GET", h.URL+"/api/v1/users", nil)
	req.SetBasicAuth("owner", "x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("Basic auth: %d, want 401", resp.StatusCode)
	}
}

func TestRoutingErrors(t *testing.T) {
	h := hubtest.Start(t, nil)
	c := newClient(t, h, h.OwnerKey)
	if r := c.do("GET", "/nope", nil); r.Status != 404 || r.ErrorCode() != api.CodeNotFound {
		t.Errorf("unknown endpoint: %d %s", r.Status, r)
	}
	r := c.do("PUT", "/users", "{}")
	if r.Status != 405 || r.ErrorCode() != "method_not_allowed" || !strings.Contains(r.Header.Get("Allow"), "POST") {
		t.Errorf("wrong method: %d %v %s", r.Status, r.Header.Get("Allow"), r)
	}
	if r := c.do("GET", "/users/usr_missing", nil); r.Status != 404 || r.ErrorCode() != api.CodeNotFound {
		t.Errorf("missing user: %d %s", r.Status, r)
	}
}

func TestInputValidation(t *testing.T) {
	h := hubtest.Start(t, nil)
	c := newClient(t, h, h.OwnerKey)
	for _, tc := range []struct {
		name, method, path string
		body               string
		status             int
		msg                string // must appear in the message
	}{
		{"unknown field", "POST", "/users", `{"name":"a","role":"viewer","admin":true}`, 400, `unknown field "admin"`},
		{"wrong type", "POST", "/users", `{"name":5,"role":"viewer"}`, 400, `field "name"`},
		{"not an object", "POST", "/users", `[1]`, 400, "want a JSON object"},
		{"empty body", "POST", "/users", ``, 400, "empty"},
		{"trailing data", "POST", "/users", `{"name":"a","role":"viewer"} {}`, 400, "more after it"},
		{"bad JSON", "POST", "/users", `{"name":`, 400, "ends early"},
		{"missing name", "POST", "/users", `{"role":"viewer"}`, 400, "name is required"},
		{"unknown role", "POST", "/users", `{"name":"a","role":"wizard"}`, 400, `role "wizard" does not exist`},
		{"control character", "POST", "/users", `{"name":"a\u0001","role":"viewer"}`, 400, "control character"},
		{"key expiry in the past", "POST", "/api-keys", `{"name":"k","expires_at":"2001-01-01T00:00:00Z"}`, 400, "in the past"},
		{"key expiry unparsable", "POST", "/api-keys", `{"name":"k","expires_in":"soon"}`, 400, `expires_in "soon"`},
		{"both expiries", "POST", "/api-keys", `{"name":"k","expires_in":"1h","expires_at":"2999-01-01T00:00:00Z"}`, 400, "not both"},
		{"key for a missing user", "POST", "/api-keys", `{"name":"k","user_id":"usr_nobody"}`, 404, `user "usr_nobody" does not exist`},
		{"bad agent id", "POST", "/agents", `{"id":"bad id!"}`, 400, "invalid agent id"},
		{"bad backend", "POST", "/backends/files", `{"transport":"stdio"}`, 400, "needs a command"},
		{"backend name mismatch", "POST", "/backends/files", `{"name":"other","transport":"stdio","command":"x"}`, 400, "differs"},
		{"backend bad timeout", "POST", "/backends/files", `{"transport":"stdio","command":"x","timeout":"soon"}`, 400, `timeout "soon"`},
		{"backend bad startup timeout", "POST", "/backends/files", `{"transport":"stdio","command":"x","startup_timeout":"soon"}`, 400, `startup_timeout "soon"`},
		{"backend tiny startup timeout", "POST", "/backends/files", `{"transport":"stdio","command":"x","startup_timeout":"5ms"}`, 400, "startup_timeout 5ms"},
		{"backend negative queue", "POST", "/backends/files", `{"transport":"stdio","command":"x","max_queue":-1}`, 400, "max_queue -1"},
		{"audit bad time", "GET", "/audit?from=yesterday", ``, 400, `from "yesterday"`},
		{"audit bad kind", "GET", "/audit?kind=nope", ``, 400, `kind "nope"`},
		{"audit bad limit", "GET", "/audit?limit=5000", ``, 400, "limit"},
		{"audit bad cursor", "GET", "/audit?cursor=garbage", ``, 400, "cursor"},
		{"usage bad bucket", "GET", "/usage?bucket=1ms", ``, 400, "bucket"},
		{"usage bad by", "GET", "/usage?by=color", ``, 400, `by "color"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method != "GET" {
				body = tc.body
			}
			r := c.do(tc.method, tc.path, body)
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			r.JSON(t, &e)
			if r.Status != tc.status || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("%d %q, want %d with %q", r.Status, e.Error.Message, tc.status, tc.msg)
			}
		})
	}
	t.Run("content type", func(t *testing.T) {
		req, _ := http.NewRequest("POST", h.URL+"/api/v1/users", strings.NewReader(`{"name":"a","role":"viewer"}`))
		req.Header.Set("Authorization", "Bearer "+h.OwnerKey)
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("text/plain body: %d, want 415", resp.StatusCode)
		}
	})
	t.Run("too large", func(t *testing.T) {
		big := `{"name":"` + strings.Repeat("a", api.MaxBodyBytes) + `","role":"viewer"}`
		if r := c.do("POST", "/users", big); r.Status != http.StatusRequestEntityTooLarge || r.ErrorCode() != api.CodeTooLarge {
			t.Fatalf("oversized body: %d %s", r.Status, r)
		}
	})
}
