package console_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// status is the status of a GET through c on hub h.
func status(t *testing.T, h *hubtest.Hub, c *http.Client, path string) int {
	t.Helper()
	resp, err := c.Get(h.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A console session outlives the hub that made it: after a restart (SQLite) the same
// cookie and CSRF token still read and write; a signed-out one stays refused.
func TestSessionSurvivesRestart(t *testing.T) {
	h := startHub(t, nil)
	c, csrf, _ := h.signIn(t, "operator")
	out, outCSRF, _ := h.signIn(t, "viewer")
	h.do(t, "DELETE", "/ui/session", nil, outCSRF, out, 204, nil)

	h2 := &consoleHub{Hub: h.Restart(t, nil), pass: h.pass}
	h2.do(t, "GET", "/api/v1/auth/me", nil, "", c, 200, nil)
	h2.do(t, "POST", "/api/v1/agents", map[string]string{"id": "after-restart"}, csrf, c, 201, nil)
	h2.do(t, "POST", "/api/v1/agents", map[string]string{"id": "no-csrf"}, "", c, 403, nil)
	h2.do(t, "GET", "/api/v1/auth/me", nil, "", out, 401, nil)
}

// Two hubs on one PostgreSQL database behind a load balancer: a session made on A works on
// B (reads, and writes with its CSRF token); a sign-out on A and a disabled user are
// refused on B too.
func TestSessionAcrossHubs(t *testing.T) {
	hubs := hubtest.Cluster(t, 2, nil)
	a := &consoleHub{Hub: hubs[0], pass: map[string]string{}}
	b := &consoleHub{Hub: hubs[1], pass: a.pass}
	for _, role := range []string{"operator", "viewer"} {
		a.pass[role] = "correct horse " + role
		a.do(t, "POST", "/api/v1/users", map[string]string{"name": role, "role": role, "password": a.pass[role]}, "", nil, 201, nil)
	}
	// The cookie jar sends 127.0.0.1's cookies to both hubs (cookies ignore the port), as
	// a browser does to one name behind a load balancer.
	c, csrf, _ := a.signIn(t, "operator")
	b.do(t, "GET", "/api/v1/auth/me", nil, "", c, 200, nil)
	b.do(t, "POST", "/api/v1/agents", map[string]string{"id": "via-b"}, csrf, c, 201, nil)
	b.do(t, "POST", "/api/v1/agents", map[string]string{"id": "forged"}, "", c, 403, nil)

	// Signed out on A: refused on A at once, on B within its recheck of the database.
	a.do(t, "DELETE", "/ui/session", nil, csrf, c, 204, nil)
	a.do(t, "GET", "/api/v1/auth/me", nil, "", c, 401, nil)
	waitfor.Until(t, time.Minute, "hub B to refuse the session signed out on A", func() bool {
		return status(t, b.Hub, c, "/api/v1/auth/me") == 401
	})

	// A disabled user: its session on B is refused, and its row is gone.
	v, _, _ := a.signIn(t, "viewer")
	b.do(t, "GET", "/api/v1/auth/me", nil, "", v, 200, nil)
	u, err := a.Server.Store.GetUserByName(context.Background(), "viewer")
	if err != nil {
		t.Fatal(err)
	}
	a.do(t, "PATCH", "/api/v1/users/"+u.ID, map[string]bool{"disabled": true}, "", nil, 200, nil)
	waitfor.Until(t, time.Minute, "hub B to refuse the disabled user's session", func() bool {
		return status(t, b.Hub, v, "/api/v1/auth/me") == 401
	})
	if n, err := a.Server.Store.DeleteUserConsoleSessions(context.Background(), u.ID); err != nil || n != 0 {
		t.Errorf("the disabled user still had %d sessions stored (%v)", n, err)
	}
	// Enabled again, the old session stays ended: the user changed after it began.
	a.do(t, "PATCH", "/api/v1/users/"+u.ID, map[string]bool{"disabled": false}, "", nil, 200, nil)
	b.do(t, "GET", "/api/v1/auth/me", nil, "", v, 401, nil)
}
