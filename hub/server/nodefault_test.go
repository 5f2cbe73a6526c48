package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
)

// No default credentials anywhere: a new hub has no users, answers every guess of a
// well-known user name and password with 401, and lets nothing through without a key. The
// owner made by init has a key (shown once) and no password until one is set.
func TestNoDefaultCredentials(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	s, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Audit.Close(); s.Store.Close() })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	if us, err := s.Store.ListUsers(ctx); err != nil || len(us) != 0 {
		t.Fatalf("a new hub has users: %v %v", us, err)
	}
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	guesses := [][2]string{{"admin", "admin"}, {"admin", "password"}, {"owner", "owner"}, {"root", "root"}, {"admin", ""}}
	check := func(when string) {
		for _, g := range guesses {
			if st := post("/api/v1/auth/login", `{"name":"`+g[0]+`","password":"`+g[1]+`"}`); st != http.StatusUnauthorized && (g[1] != "" || st != http.StatusBadRequest) {
				t.Errorf("%s: login %s/%q: status %d, want 401 (400 for an empty password)", when, g[0], g[1], st)
			}
		}
		if st := post("/mcp", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`); st != http.StatusUnauthorized {
			t.Errorf("%s: /mcp without a key: status %d, want 401", when, st)
		}
		if st := post("/api/v1/users", `{"name":"x","role":"owner"}`); st != http.StatusUnauthorized {
			t.Errorf("%s: /api/v1 without a key: status %d, want 401", when, st)
		}
	}
	check("new hub")
	if _, _, err := auth.CreateOwner(ctx, s.Store, "owner"); err != nil {
		t.Fatal(err)
	}
	if err := s.Keys.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	check("after init")
}
