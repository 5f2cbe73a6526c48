package api

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
)

// Request bodies are a wire format: any input must give a decoded value or an *Error with a
// 4xx status, never a panic or a 5xx.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","role":"viewer"}`, `{"name":"k","expires_in":"1h","user_id":"usr_1"}`,
		`{"transport":"stdio","command":"x","args":["a"],"env":{"A":"b"}}`, `{"disabled":true,"risk":"read"}`,
		`{"expires_at":"2030-01-01T00:00:00Z"}`, `[]`, `null`, `{"name":"a"}{}`, `{"a":`, `"str"`, "\xff",
		`{"name":"\u0000"}`, `{"args":[1]}`, `{"env":{"a":1}}`, strings.Repeat("[", 10000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		targets := []any{&CreateUserRequest{}, &CreateKeyRequest{}, &BackendConfig{}, &ToolPatch{}, &EnrollAgentRequest{}}
		for _, v := range targets {
			err := decodeBody(strings.NewReader(body), v)
			if err == nil {
				continue
			}
			var e *Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 || e.Message == "" {
				t.Fatalf("decode %q into %T: %v, want a 4xx *Error with a message", body, v, err)
			}
		}
		var req CreateKeyRequest
		if decodeBody(strings.NewReader(body), &req) == nil {
			a := &API{d: Deps{Now: time.Now}}
			_, _ = a.expiry(req.ExpiresIn, req.ExpiresAt)
			_ = checkName("name", req.Name, 64)
		}
	})
}

// Query strings are a wire format too: audit filters parse to a query or a 4xx, and a
// caller without audit.read.all always ends up bound to its own user id.
func FuzzAuditQuery(f *testing.F) {
	for _, s := range []string{"", "user=usr_b", "from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", "kind=admin&status=ok",
		"limit=0", "limit=1001", "limit=-1", "limit=abc", "from=yesterday", "decision=maybe", "user=&user=x", "%zz", "cursor=xyz&limit=5"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	authz := rbac.New(nil, nil)
	f.Fuzz(func(t *testing.T, raw string, all bool) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		c := &Caller{UserID: "usr_a", Role: "viewer", authz: authz}
		if all {
			c.Role = "operator"
		}
		q, err := auditQuery(c, v)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("%q: %v, want a 4xx *Error", raw, err)
			}
			return
		}
		if !all && q.UserID != "usr_a" {
			t.Fatalf("%q: a viewer's query is bound to %q", raw, q.UserID)
		}
		if q.Limit < 0 || q.Limit > 1000 {
			t.Fatalf("%q: limit %d", raw, q.Limit)
		}
	})
}
