package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// userKey makes a user with role (or, with name "", a key of the owner) and returns the
// user's id, the key's id and the key.
func userKey(t *testing.T, h *hubtest.Hub, name, role string) (userID, keyID, key string) {
	t.Helper()
	ctx := context.Background()
	if name == "" {
		users, err := h.Server.Store.ListUsers(ctx)
		if err != nil || len(users) == 0 {
			t.Fatalf("users: %v %v", users, err)
		}
		userID = users[0].ID
	} else {
		u := &store.User{Name: name, Role: role}
		if err := h.Server.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		userID = u.ID
	}
	k, key, err := auth.CreateUserKey(ctx, h.Server.Store, userID, auth.KeyOptions{Name: "stream"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Server.Keys.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return userID, k.ID, key
}

// stream reads an open SSE answer to its end in the background.
type stream struct{ done chan string }

func readStream(resp *http.Response) *stream {
	s := &stream{done: make(chan string, 1)}
	go func() {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		s.done <- string(b)
	}()
	return s
}

// ended waits for the stream's end and returns what it carried.
func (s *stream) ended(t *testing.T, what string) string {
	t.Helper()
	select {
	case b := <-s.done:
		return b
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: still open a minute after its caller changed", what)
		return ""
	}
}

func openGet(t *testing.T, h *hubtest.Hub, path, key, sid string) *stream {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "text/event-stream")
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %v %v", path, resp, err)
	}
	return readStream(resp)
}

func openListen(t *testing.T, h *hubtest.Hub, key string) *stream {
	t.Helper()
	resp := listen(t, h, key)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("subscriptions/listen: %d", resp.StatusCode)
	}
	return readStream(resp)
}

func apiCall(t *testing.T, h *hubtest.Hub, method, path string, body any, want int) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.URL+"/api/v1"+path, rd)
	req.Header.Set("Authorization", "Bearer "+h.OwnerKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
}

// A revoked key's open streams end at the revocation: its subscriptions/listen stream with
// a -32001 error saying why, its session's GET /mcp stream and its HTTP+SSE /sse stream with
// their session. Before, they stayed open and kept carrying notifications. A disabled user's
// streams end alike, and a role change ends the streams opened under the old role (their
// subscriptions were checked for it). Other keys' streams stay open.
func TestStreamsEndWhenTheirCallerChanges(t *testing.T) {
	h := hubtest.Start(t, nil)
	c := &http.Client{Timeout: 30 * time.Second}
	_, revokedID, revoked := userKey(t, h, "", "")
	_, _, kept := userKey(t, h, "", "")
	bobID, _, bob := userKey(t, h, "bob", "viewer")
	carolID, _, carol := userKey(t, h, "carol", "viewer")

	keptListen := openListen(t, h, kept)
	listenRevoked := openListen(t, h, revoked)
	getRevoked := openGet(t, h, "/mcp", revoked, initialize(t, c, h, revoked))
	sseRevoked := openGet(t, h, "/sse", revoked, "")
	listenBob := openListen(t, h, bob)
	listenCarol := openListen(t, h, carol)
	eventually(t, "the four listen streams to open", func() bool { return h.Server.GW.Listeners() == 4 })

	apiCall(t, h, http.MethodDelete, "/api-keys/"+revokedID, nil, http.StatusNoContent)
	if b := listenRevoked.ended(t, "the revoked key's listen stream"); !strings.Contains(b, `"code":-32001`) || !strings.Contains(b, "was revoked") {
		t.Errorf("the revoked key's listen stream ended without saying why:\n%s", b)
	}
	getRevoked.ended(t, "the revoked key's GET /mcp stream")
	if b := sseRevoked.ended(t, "the revoked key's /sse stream"); !strings.Contains(b, "event: endpoint") {
		t.Errorf("the /sse stream carried:\n%s", b)
	}

	off := true
	apiCall(t, h, http.MethodPatch, "/users/"+bobID, map[string]any{"disabled": off}, http.StatusOK)
	if b := listenBob.ended(t, "a disabled user's listen stream"); !strings.Contains(b, `"code":-32001`) {
		t.Errorf("the disabled user's listen stream ended without the error:\n%s", b)
	}
	apiCall(t, h, http.MethodPatch, "/users/"+carolID, map[string]any{"role": "operator"}, http.StatusOK)
	if b := listenCarol.ended(t, "the listen stream of a user whose role changed"); !strings.Contains(b, "from viewer to operator") {
		t.Errorf("the listen stream of carol ended without naming the role change:\n%s", b)
	}

	if n := h.Server.GW.Listeners(); n != 1 {
		t.Errorf("%d listen streams open, want 1 (the kept key's)", n)
	}
	select {
	case b := <-keptListen.done:
		t.Errorf("another key's stream ended:\n%s", b)
	default:
	}
}

// A key revoked outside this hub's API (the CLI on the same database, another hub) ends its
// streams too, once the key cache has reloaded (every 30 s; here the test reloads it) and
// the hub's next revocation check has run (every RevocationCheck).
func TestStreamsEndWhenRevokedElsewhere(t *testing.T) {
	h := hubtest.Start(t, nil)
	_, id, key := userKey(t, h, "", "")
	s := openListen(t, h, key)
	eventually(t, "the listen stream to open", func() bool { return h.Server.GW.Listeners() == 1 })
	ctx := context.Background()
	if err := h.Server.Store.RevokeKey(ctx, id); err != nil { // what `mcp-gateway-hub keys revoke` does
		t.Fatal(err)
	}
	if err := h.Server.Keys.Refresh(ctx); err != nil { // the cache's periodic reload
		t.Fatal(err)
	}
	if b := s.ended(t, "the listen stream of a key revoked by the CLI"); !strings.Contains(b, "was revoked") {
		t.Errorf("the stream ended without saying why:\n%s", b)
	}
}
