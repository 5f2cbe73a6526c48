package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// oauthResult is what e2e/ts/oauth.mjs prints.
type oauthResult struct {
	Connect struct {
		Error            string `json:"error"`
		FirstConnect     string `json:"firstConnect"`
		AuthorizationURL string `json:"authorizationUrl"`
		ClientID         string `json:"clientId"`
		Page             struct {
			CSP     string   `json:"csp"`
			Axe     []string `json:"axeViolations"`
			Heading string   `json:"heading"`
			Text    string   `json:"text"`
		} `json:"page"`
		Callback struct {
			HasCode bool   `json:"hasCode"`
			State   bool   `json:"state"`
			Iss     string `json:"iss"`
			Error   string `json:"error"`
		} `json:"callback"`
	} `json:"connect"`
	Call    oauthCall   `json:"call"`
	Other   oauthStatus `json:"other"`
	Refresh struct {
		Error        string    `json:"error"`
		Changed      bool      `json:"changed"`
		FirstConnect string    `json:"firstConnect"`
		Call         oauthCall `json:"call"`
	} `json:"refresh"`
	Reuse struct {
		Error               string      `json:"error"`
		Refused             bool        `json:"refused"`
		RefreshedAfterReuse oauthStatus `json:"refreshedAfterReuse"`
	} `json:"reuse"`
	Revoke struct {
		Error          string      `json:"error"`
		SignedInAgain  string      `json:"signedInAgain"`
		Before         oauthCall   `json:"before"`
		RevokeStatus   int         `json:"revokeStatus"`
		After          oauthStatus `json:"after"`
		RefreshRefused bool        `json:"refreshRefused"`
	} `json:"revoke"`
}

type oauthCall struct {
	Error   string `json:"error"`
	Tool    string `json:"tool"`
	Text    string `json:"text"`
	IsError bool   `json:"isError"`
}

type oauthStatus struct {
	Error           string `json:"error"`
	Status          int    `json:"status"`
	WWWAuthenticate string `json:"wwwAuthenticate"`
}

// echoBackend is a go-sdk MCP server with one tool, echo, served over streamable HTTP.
func echoBackend(t *testing.T) string {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "echo", Version: "1"}, nil)
	type in struct {
		Message string `json:"message"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, a in) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "echo: " + a.Message}}}, nil, nil
	})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil))
	t.Cleanup(srv.Close)
	return srv.URL
}

// metadataDocument serves a Client ID Metadata Document over https on 127.0.0.1 and writes
// its certificate to a PEM file the hub is told to trust (oauth.document_ca_file).
func metadataDocument(t *testing.T) (docURL, caFile string) {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/client.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"client_id": srv.URL + "/client.json", "client_name": "SDK e2e (metadata document)",
			// A loopback redirect: the client listens on a port of its choosing (RFC 8252 7.3).
			"redirect_uris": []string{"http://127.0.0.1/callback"}, "token_endpoint_auth_method": "none",
			"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		})
	}))
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL + "/client.json", caFile
}

// TestOAuthTSSDK: the TypeScript SDK's OAuth client provider completes discovery,
// registration (a Client ID Metadata Document, and dynamic registration), sign-in and consent
// in headless Chromium, and calls a tool through the hub; its token is refused by another hub
// on the same database (another resource); a refreshed token works and the old refresh
// token does not (and its reuse revokes the grant); a revoked token is refused.
func TestOAuthTSSDK(t *testing.T) {
	node := nodeBin(t)
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("/usr/bin/chromium is not installed: run e2e/setup.sh")
		}
		t.Skip("/usr/bin/chromium is not installed")
	}
	docURL, caFile := metadataDocument(t)
	echoURL := echoBackend(t)
	hubs := hubtest.Cluster(t, 2, func(c *config.Config) {
		c.Backends = []backend.Config{{Name: "t", Transport: backend.TransportHTTP, URL: echoURL}}
		c.OAuth.DocumentAllowPrivate = true // the document is served on 127.0.0.1
		c.OAuth.DocumentCAFile = caFile
	})
	a, b := hubs[0], hubs[1]
	ctx := context.Background()
	const password = "a long enough password for e2e"
	hashed, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	dana := &store.User{Name: "dana", Role: "viewer", PasswordHash: hashed}
	if err := a.Server.Store.CreateUser(ctx, dana); err != nil {
		t.Fatal(err)
	}
	for _, h := range hubs {
		if err := h.Server.Keys.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitfor.Until(t, time.Minute, "tool t__echo", func() bool {
		_, ok := a.Server.Router.Table().Tool("t__echo")
		return ok
	})
	script := filepath.Join(repoRoot(t), "e2e", "ts", "oauth.mjs")
	// The SDK's v1 client (@modelcontextprotocol/sdk) and its v2 client package
	// (@modelcontextprotocol/client), each with a metadata document and with registration.
	for _, run := range []struct{ sdk, mode string }{{"v1", "cimd"}, {"v1", "dcr"}, {"v2", "cimd"}, {"v2", "dcr"}} {
		mode := run.mode
		t.Run(run.sdk+"/"+mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, script, mode, a.URL, b.URL, "dana", password, docURL)
			cmd.Env = append(os.Environ(), "OAUTH_SDK="+run.sdk)
			cmd.Dir = filepath.Join(repoRoot(t), "e2e")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("oauth.mjs %s: %v\nstdout: %s\nstderr: %s", mode, err, stdout.String(), stderr.String())
			}
			var r oauthResult
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				t.Fatalf("oauth.mjs printed no JSON object: %v\n%s\n%s", err, stdout.String(), stderr.String())
			}
			t.Logf("oauth.mjs %s:\n%s", mode, stdout.String())
			checkOAuth(t, mode, r, a, docURL)
			if t.Failed() {
				return
			}
			if err := a.Server.Audit.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			evs, _, err := a.Server.Store.QueryAudit(ctx, store.AuditQuery{Tool: "t__echo", Kind: store.AuditCall, Application: r.Connect.ClientID})
			if err != nil || len(evs) < 2 {
				t.Fatalf("audit rows of client %s: %v, %d rows", r.Connect.ClientID, err, len(evs))
			}
			for _, e := range evs {
				if e.UserID != dana.ID || e.Caller != "dana" || !strings.HasPrefix(e.KeyID, "oauth:") {
					t.Errorf("audit row: user %q caller %q key %q, want dana's, with the grant as the key", e.UserID, e.Caller, e.KeyID)
				}
			}
		})
	}
}

func checkOAuth(t *testing.T, mode string, r oauthResult, a *hubtest.Hub, docURL string) {
	t.Helper()
	c := r.Connect
	if c.Error != "" {
		t.Fatalf("connect: %s", c.Error)
	}
	if c.FirstConnect != "unauthorized" || !c.Callback.HasCode || !c.Callback.State || c.Callback.Iss != a.URL || c.Callback.Error != "" {
		t.Errorf("authorization: first connect %q, callback %+v (want a code, the state and iss %s)", c.FirstConnect, c.Callback, a.URL)
	}
	switch mode {
	case "cimd":
		if c.ClientID != docURL {
			t.Errorf("client_id %q, want the metadata document URL %s", c.ClientID, docURL)
		}
		if !strings.Contains(c.Page.Text, "SDK e2e (metadata document)") || !strings.Contains(c.Page.Text, "Identified by its metadata document") {
			t.Errorf("the consent page does not name the document's client: %q", c.Page.Text)
		}
	case "dcr":
		if !strings.HasPrefix(c.ClientID, "mcpgwcl_") || !strings.Contains(c.Page.Text, "SDK e2e (dcr)") {
			t.Errorf("registered client %q; page %q", c.ClientID, c.Page.Text)
		}
	}
	if !strings.Contains(c.AuthorizationURL, "code_challenge_method=S256") || !strings.Contains(c.AuthorizationURL, "resource=") {
		t.Errorf("authorization URL without S256 PKCE or resource: %s", c.AuthorizationURL)
	}
	if c.Page.Axe == nil || len(c.Page.Axe) > 0 {
		t.Errorf("consent page accessibility (axe-core, WCAG 2 A/AA): %v", c.Page.Axe)
	}
	if !strings.Contains(c.Page.CSP, "default-src 'none'") {
		t.Errorf("consent page CSP %q", c.Page.CSP)
	}
	if r.Call.Error != "" || r.Call.IsError || r.Call.Text != "echo: hello over oauth ("+mode+")" {
		t.Errorf("tool call with the token: %+v", r.Call)
	}
	if r.Other.Status != http.StatusUnauthorized || !strings.Contains(r.Other.WWWAuthenticate, "another resource") {
		t.Errorf("the token at another hub (another resource): %+v", r.Other)
	}
	if r.Refresh.Error != "" || !r.Refresh.Changed || r.Refresh.FirstConnect == "unauthorized" || r.Refresh.Call.Text != "echo: after refresh" {
		t.Errorf("refresh: %+v", r.Refresh)
	}
	if r.Reuse.Error != "" || !r.Reuse.Refused || r.Reuse.RefreshedAfterReuse.Status != http.StatusUnauthorized {
		t.Errorf("old refresh token reused: %+v (want refused, and the grant's newer access token refused too)", r.Reuse)
	}
	v := r.Revoke
	if v.Error != "" || v.SignedInAgain != "unauthorized" || v.Before.Text != "echo: before revoke" || v.RevokeStatus != 200 ||
		v.After.Status != http.StatusUnauthorized || !strings.Contains(v.After.WWWAuthenticate, "revoked") || !v.RefreshRefused {
		t.Errorf("revocation: %+v", v)
	}
}
