package cli

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth/oauthtest"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// cliLogin runs `backends login NAME --no-browser` and opens the URL it prints with an HTTP
// client (the test's authorization server approves at once and redirects to the CLI's
// loopback callback). It returns the CLI's output.
func cliLogin(t *testing.T, h *hubtest.Hub, name string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := Run(ctx, []string{"backends", "login", name, "--no-browser", "--hub", h.URL, "--key", h.OwnerKey},
			Env{Stdout: pw, Stderr: pw, Logger: slog.New(slog.DiscardHandler)})
		pw.Close()
		done <- err
	}()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	opened := false
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if u := strings.TrimSpace(line); !opened && strings.HasPrefix(u, "http") {
			opened = true
			if err := oauth.FollowRedirects(http.DefaultClient)(ctx, u); err != nil {
				t.Errorf("open %s: %v", u, err)
			}
		}
	}
	return out.String(), <-done
}

// TestBackendLogin: a hub-local backend of a server that requires OAuth shows needs_login in
// the REST API; `backends login` completes the login through the CLI's loopback callback,
// the hub connects, and the database holds the tokens sealed only.
func TestBackendLogin(t *testing.T) {
	as := oauthtest.Start(t)
	h := hubtest.Start(t, func(c *config.Config) {
		c.Backends = []backend.Config{{Name: "prot", Transport: backend.TransportHTTP, URL: as.MCPURL}}
	})
	state := func() protocol.Backend {
		b, _ := h.Server.Locals.Get("prot")
		return b.Snapshot()
	}
	waitfor.Until(t, time.Minute, "needs_login", func() bool { return state().State == protocol.StateNeedsLogin })
	out := mustCLI(t, h, "needs_login", "backends", "list")
	if !strings.Contains(out, "mcp-gateway-hub backends login prot") {
		t.Errorf("backends list does not say how to log in:\n%s", out)
	}

	out, err := cliLogin(t, h, "prot")
	if err != nil || !strings.Contains(out, "Logged in to prot") {
		t.Fatalf("backends login: %v\n%s", err, out)
	}
	waitfor.Until(t, time.Minute, "ready", func() bool { return state().State == protocol.StateReady })
	if len(state().Tools) != 1 {
		t.Errorf("tools after login: %d, want 1", len(state().Tools))
	}
	token := as.LastToken()
	if token == "" {
		t.Fatal("the server saw no token")
	}
	// Neither the database files nor anything else in the data directory holds the token.
	err = filepath.WalkDir(h.DataDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(raw), token) {
			t.Errorf("%s holds the access token in clear", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := h.Server.Store.GetSetting(context.Background(), "oauth.backend.prot"); err != nil || !strings.HasPrefix(v, "sealed:") {
		t.Errorf("stored credentials %.20q (%v): want a sealed value", v, err)
	}

	// A login for a backend without OAuth, or an unknown one, is refused with a clear error.
	if _, err := cliLogin(t, h, "nosuch"); err == nil || !strings.Contains(err.Error(), `404 not_found: no hub-local backend "nosuch"`) {
		t.Errorf("login of an unknown backend: %v", err)
	}
}
