package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth/oauthtest"
)

// echoMCP is a real streamable HTTP MCP server with one tool, "echo".
func echoMCP(t *testing.T) string {
	server := mcp.NewServer(&mcp.Implementation{Name: "echo", Version: "1"}, nil)
	server.AddTool(&mcp.Tool{Name: "echo", Description: "Echo", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil
		})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	t.Cleanup(srv.Close)
	return srv.URL
}

// hubCLI runs the command line against h with the owner's key; stdin feeds the command.
func hubCLI(t *testing.T, h *hubtest.Hub, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--hub", h.URL, "--key", h.OwnerKey)
	err := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(stdin),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return out.String() + errOut.String(), err
}

func mustCLI(t *testing.T, h *hubtest.Hub, want string, args ...string) string {
	t.Helper()
	out, err := hubCLI(t, h, "", args...)
	if err != nil || !strings.Contains(out, want) {
		t.Fatalf("%v: %v\n%s\nwant %q in the output", args, err, out, want)
	}
	return out
}

// The admin commands cover the REST API, against a real hub.
func TestRemoteAdminCommands(t *testing.T) {
	url := echoMCP(t)
	as := oauthtest.Start(t)
	h := hubtest.Start(t, func(c *config.Config) {
		c.Backends = []backend.Config{{Name: "echo", Transport: backend.TransportHTTP, URL: url},
			{Name: "prot", Transport: backend.TransportHTTP, URL: as.MCPURL}}
	})
	h, used := recordEndpoints(t, h)
	defer checkEveryEndpointUsed(t, h, used)
	out, err := hubCLI(t, h, "correct horse battery\n", "users", "create", "alice", "--role", "viewer", "--password-stdin", "--json")
	var alice struct {
		ID          string `json:"id"`
		HasPassword bool   `json:"has_password"`
	}
	if err != nil || json.Unmarshal([]byte(out), &alice) != nil || !alice.HasPassword {
		t.Fatalf("users create: %v %s", err, out)
	}
	mustCLI(t, h, "alice", "users", "list")
	mustCLI(t, h, "permissions:", "users", "me")
	if out, err := hubCLI(t, h, "\nowner's new password\n", "users", "passwd", "--password-stdin"); err != nil || !strings.Contains(out, "done") {
		t.Fatalf("passwd: %v %s", err, out)
	}
	mustCLI(t, h, "export MCPGW_KEY=", "login", "--user", "owner", "--password", "owner's new password")
	out = mustCLI(t, h, "export MCPGW_KEY=", "login", "--user", "alice", "--password", "correct horse battery")
	token := strings.Fields(strings.TrimPrefix(out, "export MCPGW_KEY="))[0]
	var o bytes.Buffer
	if err := Run(context.Background(), []string{"tools", "list", "--hub", h.URL, "--key", token}, Env{Stdout: &o, Stderr: &o, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatalf("tools list with alice's token: %v\n%s", err, o.String())
	}
	if err := Run(context.Background(), []string{"users", "list", "--hub", h.URL, "--key", token}, Env{Stdout: &o, Stderr: &o, Logger: slog.New(slog.DiscardHandler)}); err == nil || !strings.Contains(err.Error(), "users.read") {
		t.Fatalf("users list as a viewer: %v, want a refusal naming users.read", err)
	}
	mustCLI(t, h, "robin", "users", "update", alice.ID, "--name", "robin", "--disable")
	mustCLI(t, h, "auditor", "roles", "create", "auditor", "--perm", "tools.read,audit.read.own", "--deny", "*secret*")
	mustCLI(t, h, "auditor", "roles", "list")
	mustCLI(t, h, "audit.read.own", "roles", "get", "auditor")
	mustCLI(t, h, "tools.read", "roles", "update", "auditor", "--perm", "tools.read")
	mustCLI(t, h, "done", "roles", "delete", "auditor")
	if out, err := hubCLI(t, h, "a brand new password\n", "users", "set-password", alice.ID, "--password-stdin"); err != nil || !strings.Contains(out, "done") {
		t.Fatalf("set-password: %v %s", err, out)
	}
	mustCLI(t, h, "shown once", "keys", "create", "--user", alice.ID, "--app", "cursor", "--name", "cur")
	mustCLI(t, h, "cursor", "keys", "list", "--user", "*")
	out = mustCLI(t, h, `"key":"mcpgw_`, "keys", "create", "--name", "short-lived", "--expires", "1h", "--json")
	var created struct{ ID string }
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, h, "discovery", "keys", "set-surface", created.ID, "discovery")
	if out, err := hubCLI(t, h, "", "keys", "set-surface", created.ID, "everything"); err == nil || !strings.Contains(err.Error()+out, "surface") {
		t.Errorf("set-surface everything: want a refusal naming the surface, got %v %s", err, out)
	}
	mustCLI(t, h, "discovery", "keys", "list")
	mustCLI(t, h, "done", "keys", "revoke", created.ID)
	out = mustCLI(t, h, "mcpgw_", "agents", "enroll", "laptop")
	mustCLI(t, h, "laptop", "agents", "list")
	mustCLI(t, h, "new key", "agents", "rotate-key", "laptop")
	mustCLI(t, h, "done", "agents", "revoke", "laptop")
	mustCLI(t, h, "extra", "backends", "add", "extra", "--transport", "http", "--url", url, "--header", "X-Token=abc")
	mustCLI(t, h, "extra", "backends", "list")
	mustCLI(t, h, "auto", "backends", "update", "extra", "--transport", "http", "--url", url, "--naming", "auto")
	mustCLI(t, h, "done", "backends", "remove", "extra")
	if out, err := cliLogin(t, h, "prot"); err != nil {
		t.Fatalf("backends login: %v\n%s", err, out)
	}
	mustCLI(t, h, "/mcp/readers", "groups", "add", "readers", "--tools", "echo__*", "--risks", "read,unclassified", "--description", "read tools")
	mustCLI(t, h, "laptop/fs", "groups", "update", "readers", "--backends", "laptop/fs")
	mustCLI(t, h, "readers", "groups", "list")
	mustCLI(t, h, "/mcp/echoes", "groups", "add", "echoes", "--tools", "echo__*")
	mustCLI(t, h, "echo__echo", "groups", "tools", "echoes")
	mustCLI(t, h, "done", "groups", "remove", "echoes")
	mustCLI(t, h, "discovery", "groups", "set-surface", "readers", "discovery")
	if gr, ok := h.Server.GW.Group("readers"); !ok || gr.Spec.Surface != "discovery" || gr.Spec.Backends[0] != "laptop/fs" {
		t.Errorf("after set-surface the gateway serves %+v", gr)
	}
	if out, err := hubCLI(t, h, "", "groups", "set-surface", "readers", "everything"); err == nil || !strings.Contains(out+err.Error(), "everything") {
		t.Errorf("set-surface everything: want a refusal naming the surface, got %v %s", err, out)
	}
	mustCLI(t, h, "readers", "groups", "set-surface", "readers", "default")
	if gr, _ := h.Server.GW.Group("readers"); gr.Spec.Surface != "" {
		t.Errorf("after set-surface default the gateway serves %+v", gr)
	}
	mustCLI(t, h, `"surface":"full"`, "groups", "update", "readers", "--backends", "laptop/fs", "--surface", "full", "--json")
	out = mustCLI(t, h, `"groups":["readers"]`, "keys", "create", "--name", "grouped", "--groups", "readers", "--json")
	if _, err := hubCLI(t, h, "", "keys", "create", "--name", "nogroup", "--groups", "nosuch"); err == nil {
		t.Error("a key for a group that does not exist was created")
	}
	if _, err := hubCLI(t, h, "", "groups", "add", "bad", "--risks", "spicy"); err == nil {
		t.Error("a group with an unknown risk was created")
	}
	mustCLI(t, h, "done", "groups", "remove", "readers")
	mustCLI(t, h, "echo__echo", "tools", "list", "--q", "ech")
	mustCLI(t, h, "fingerprint:", "tools", "get", "echo__echo")
	mustCLI(t, h, "disabled:", "tools", "disable", "echo__echo")
	mustCLI(t, h, "risk_override:", "tools", "risk", "echo__echo", "read")
	mustCLI(t, h, "approved", "tools", "approve", "echo__echo")
	mustCLI(t, h, "r1", "policies", "add-rule", `{"name":"r1","effect":"deny","tools":["zzz"],"reason":"never"}`)
	mustCLI(t, h, "source: database", "policies", "list")
	mustCLI(t, h, "r1", "policies", "set-rule", "r1", `{"effect":"deny","tools":["zzz*"],"reason":"never ever"}`)
	mustCLI(t, h, "decision: allow by default", "policies", "dry-run", "--tool", "echo__echo", "--role", "viewer")
	mustCLI(t, h, "default: deny", "policies", "default", "deny", "--reason", "closed")
	mustCLI(t, h, "done", "policies", "delete-rule", "r1")
	// The audit trail reaches the store asynchronously (journal first): wait for all 13.
	deadline := time.Now().Add(10 * time.Second)
	for {
		out = mustCLI(t, h, `"kind":"admin"`, "audit", "export", "--kind", "admin")
		lines := strings.Count(strings.TrimSpace(out), "\n") + 1
		if lines >= 13 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("export: %d lines after 10s\n%s", lines, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mustCLI(t, h, "users.create", "audit", "list", "--kind", "admin")
	mustCLI(t, h, "total:", "audit", "stats")
	mustCLI(t, h, "BUCKET", "usage", "--by", "user")
	mustCLI(t, h, "pending", "status")
	mustCLI(t, h, "done", "users", "delete", alice.ID)

	// Errors carry the hub's status and message.
	if out, err := hubCLI(t, h, "", "users", "get", "usr_nope"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("users get of an unknown id: %v %s", err, out)
	}
	var e bytes.Buffer
	err = Run(context.Background(), []string{"users", "list", "--hub", h.URL, "--key", "mcpgw_wrong"}, Env{Stdout: &e, Stderr: &e, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a bad key: %v", err)
	}
}

// recordEndpoints puts a recording proxy in front of h's REST API: the returned hub's URL
// is the proxy's, and used collects the route patterns the CLI reached.
func recordEndpoints(t *testing.T, h *hubtest.Hub) (*hubtest.Hub, func() map[string]bool) {
	mux := http.NewServeMux()
	for _, rt := range h.Server.API.(*api.API).Routes() {
		mux.HandleFunc(rt.Method+" "+api.Prefix+rt.Path, func(http.ResponseWriter, *http.Request) {})
	}
	target, err := neturl.Parse(h.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	seen := map[string]bool{}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mu.Lock()
			seen[pattern] = true
			mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	hp := *h
	hp.URL = proxy.URL
	return &hp, func() map[string]bool {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(seen)
	}
}

// checkEveryEndpointUsed fails unless the CLI reached every endpoint but those that are
// not operations: the OpenAPI document, token refresh (the CLI prints access tokens), and
// GET /connect (the web console's copy of what `connect` builds locally from the same code).
func checkEveryEndpointUsed(t *testing.T, h *hubtest.Hub, used func() map[string]bool) {
	seen := used()
	for _, rt := range h.Server.API.(*api.API).Routes() {
		pattern := rt.Method + " " + api.Prefix + rt.Path
		if rt.Path == "/openapi.json" || rt.Path == "/auth/refresh" || rt.Path == "/connect" {
			continue
		}
		if !seen[pattern] {
			t.Errorf("no CLI command in this test reached %s", pattern)
		}
	}
}

func TestRemoteMode(t *testing.T) {
	t.Setenv("MCPGW_KEY", "")
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"list"}, false},
		{[]string{"list", "--hub", "http://x"}, true},
		{[]string{"list", "--key=k"}, true},
		{[]string{"list", "--key", "k", "--data-dir", "d"}, false},
		{[]string{"create", "--database-url=postgres://x"}, false},
	} {
		if got := remoteMode(tc.args); got != tc.want {
			t.Errorf("remoteMode(%v) = %v", tc.args, got)
		}
	}
	t.Setenv("MCPGW_KEY", "mcpgw_x")
	if !remoteMode([]string{"list"}) || remoteMode([]string{"list", "--config", "hub.toml"}) {
		t.Error("MCPGW_KEY selects the API unless a store flag is given")
	}
}
