package connector

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth/oauthtest"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// TestOAuthBackendStatus: an agent backend of a server that requires OAuth shows
// needs_login in the agent's status (the TUI and `status` read it) with the command to run,
// is not restarted while it waits, and connects once another process (`backends login`)
// wrote credentials to the token file.
func TestOAuthBackendStatus(t *testing.T) {
	as := oauthtest.Start(t)
	dir := t.TempDir()
	key, err := oauth.LoadKeyFile(filepath.Join(dir, "oauth.key"))
	if err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(dir, "oauth-tokens.json")
	tr := status.New(status.Options{AgentID: "laptop"})
	cfg := &config.Config{
		Agent:    config.Agent{AgentID: "laptop", GatewayURL: "ws://127.0.0.1:1/agent/ws", APIKey: "mcpgw_unused"},
		Backends: []backend.Config{{Name: "prot", Transport: backend.TransportHTTP, URL: as.MCPURL}},
	}
	a, err := New(cfg, Options{Status: tr, OAuth: oauth.NewFileStore(tokens, key), LoginPoll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()

	prot := func(s status.Snapshot) status.Backend {
		for _, b := range s.Backends {
			if b.Name == "prot" {
				return b
			}
		}
		return status.Backend{}
	}
	snap := waitStatusLong(t, tr, "needs_login", func(s status.Snapshot) bool { return prot(s).State == protocol.StateNeedsLogin })
	if b := prot(snap); !strings.Contains(b.LastError, "mcp-gateway-agent backends login prot") || b.Restarts != 0 {
		t.Errorf("status %+v: want the login command and no restarts", b)
	}

	// What `mcp-gateway-agent backends login prot` does, in this process: the agent only
	// sees the token file.
	lctx, lcancel := context.WithTimeout(context.Background(), time.Minute)
	defer lcancel()
	creds, err := oauth.Login(lctx, cfg.Backends[0].OAuthFlow(), oauth.FollowRedirects(http.DefaultClient))
	if err != nil {
		t.Fatal(err)
	}
	if err := oauth.NewFileStore(tokens, key).Save(lctx, "prot", creds); err != nil {
		t.Fatal(err)
	}
	snap = waitStatusLong(t, tr, "ready", func(s status.Snapshot) bool { return prot(s).State == protocol.StateReady })
	if b := prot(snap); b.Tools != 1 || b.Restarts != 0 {
		t.Errorf("status after login %+v: want 1 tool, no restarts", b)
	}
}

func waitStatusLong(t *testing.T, tr *status.Tracker, what string, ok func(status.Snapshot) bool) status.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tr.WaitFor(ctx, ok); err != nil {
		t.Fatalf("status never became %s: %+v", what, tr.Snapshot())
	}
	return tr.Snapshot()
}
