package api_test

import (
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// Regression: login is public, and every attempt is audited with the name it was given.
// A name of hundreds of kilobytes (the body may be up to 1 MiB) once went whole into the
// trail twice (caller and target), letting anyone without credentials fill the journal
// and the database. The fields of an audit event are bounded; a normal name stays whole.
func TestLoginNameCannotBloatTheAudit(t *testing.T) {
	h := hubtest.Start(t, nil)
	anon := newClient(t, h, "")
	huge := strings.Repeat("n", 300<<10)
	if r := anon.do("POST", "/auth/login", api.LoginRequest{Name: huge, Password: "whatever it is"}); r.Status != 401 {
		t.Fatalf("login with a huge name: %d %s", r.Status, r)
	}
	anon.do("POST", "/auth/login", api.LoginRequest{Name: "mallory", Password: "whatever it is"})
	owner := newClient(t, h, h.OwnerKey)
	evs := waitAudit(t, owner, "kind=login", 2)
	for _, ev := range evs {
		if len(ev.Caller) > 1024 || len(ev.Target) > 1024 {
			t.Errorf("login event keeps a name of %d/%d bytes, want at most 1024", len(ev.Caller), len(ev.Target))
		}
		if len(ev.Caller) < 64 && ev.Caller != "mallory" {
			t.Errorf("short name changed: %q", ev.Caller)
		}
	}
}
