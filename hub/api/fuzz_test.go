package api

import (
	"errors"
	"strings"
	"testing"
	"time"
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
