package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/server"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// clusterDeadline bounds how long a change made through one hub may take to reach another.
// The target is 1 s and a change typically arrives in milliseconds (LISTEN/NOTIFY); the
// deadline is generous for a busy machine, yet well under the 30 s periodic reload that was
// the only path before, so the test fails without the notifications.
const clusterDeadline = 5 * time.Second

// echoServer is a real streamable HTTP MCP server with one tool, "echo".
func echoServer(t *testing.T) string {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "echo", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "echo", Description: "Echo", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "echoed"}}}, nil
		})
	hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	t.Cleanup(func() { hs.CloseClientConnections(); hs.Close() }) // a hub's backend may hold a stream
	return hs.URL
}

// within polls cond until it holds and returns how long that took; past clusterDeadline the
// test fails naming what never happened.
func within(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	d := waitfor.Until(t, clusterDeadline, what, cond)
	t.Logf("%s: after %v", what, d.Round(time.Millisecond))
	return d
}

const callEcho = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo__echo","arguments":{}}}`

// callsEcho reports whether key may call the echo tool through h, in a new session.
func callsEcho(t *testing.T, h *hubtest.Hub, key string) bool {
	resp, _ := post(t, http.DefaultClient, h, key, "", initBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		return false
	}
	out := rpc(t, http.DefaultClient, h, key, sid, callEcho)
	return strings.Contains(out, "echoed") && !strings.Contains(out, `"isError":true`)
}

// Several hubs on one PostgreSQL: what is changed through one hub takes effect on the others
// at once (LISTEN/NOTIFY), not after the 30 s periodic reload — a backend added, a role
// narrowed, a policy rule, a tool disabled, a key revoked, a backend deleted. Each step is
// checked both ways: allowed before the change, refused after it.
func TestClusterChangesReachEveryHub(t *testing.T) {
	url := echoServer(t) // first: stopped after the hubs
	hubs := hubtest.Cluster(t, 2, nil)
	a, b := hubs[0], hubs[1]

	// A backend created through A starts on B.
	if callsEcho(t, b, b.OwnerKey) {
		t.Fatal("echo callable on B before it was created")
	}
	apiCall(t, a, "POST", "/backends/echo", map[string]any{"transport": "http", "url": url}, http.StatusCreated)
	within(t, "backend created on A runs on B", func() bool { return callsEcho(t, b, b.OwnerKey) })

	_, _, other := userKey(t, a, "olga", "owner")
	within(t, "user created on A known on B", func() bool { return callsEcho(t, b, other) })

	// A role narrowed on A binds its users on B.
	apiCall(t, a, "POST", "/roles", map[string]any{"name": "caller", "permissions": []string{"tools.call"}}, http.StatusCreated)
	_, keyID, carol := userKey(t, a, "carol", "caller")
	within(t, "user created on A calls on B", func() bool { return callsEcho(t, b, carol) })
	apiCall(t, a, "PUT", "/roles/caller", map[string]any{"permissions": []string{"tools.call"}, "tool_deny": []string{"echo*"}}, http.StatusOK)
	within(t, "role narrowed on A refuses on B", func() bool { return !callsEcho(t, b, carol) })
	apiCall(t, a, "PUT", "/roles/caller", map[string]any{"permissions": []string{"tools.call"}}, http.StatusOK)
	within(t, "role widened on A allows on B", func() bool { return callsEcho(t, b, carol) })

	// A policy rule added on A denies on B.
	apiCall(t, a, "POST", "/policies/rules", map[string]any{"name": "no-echo", "effect": "deny", "tools": []string{"echo*"}}, http.StatusCreated)
	within(t, "policy rule added on A denies on B", func() bool { return !callsEcho(t, b, carol) })
	apiCall(t, a, "DELETE", "/policies/rules/no-echo", nil, http.StatusNoContent)
	within(t, "policy rule removed on A allows on B", func() bool { return callsEcho(t, b, carol) })

	// A tool disabled on A is refused on B.
	apiCall(t, a, "PATCH", "/tools/echo__echo", map[string]any{"disabled": true}, http.StatusOK)
	within(t, "tool disabled on A refused on B", func() bool { return !callsEcho(t, b, carol) })
	apiCall(t, a, "PATCH", "/tools/echo__echo", map[string]any{"disabled": false}, http.StatusOK)
	within(t, "tool enabled on A allowed on B", func() bool { return callsEcho(t, b, carol) })

	// A key revoked on A is refused on B.
	apiCall(t, a, "DELETE", "/api-keys/"+keyID, nil, http.StatusNoContent)
	within(t, "key revoked on A refused on B", func() bool {
		resp, _ := post(t, http.DefaultClient, b, carol, "", initBody)
		return resp.StatusCode == http.StatusUnauthorized
	})

	// A backend deleted on A stops on B.
	apiCall(t, a, "DELETE", "/backends/echo", nil, http.StatusNoContent)
	within(t, "backend deleted on A gone on B", func() bool { return !callsEcho(t, b, b.OwnerKey) })
}

// A 2025 session initialized on one hub continues on another (its id is sealed with a key
// both hubs derive from the shared master key): tools/list and tools/call on B with A's
// Mcp-Session-Id. Before, B answered 404. Only for the same caller, and a changed id is
// unknown.
func TestClusterSessionContinuesOnAnotherHub(t *testing.T) {
	url := echoServer(t)
	hubs := hubtest.Cluster(t, 2, func(c *config.Config) {
		c.Backends = []backend.Config{{Name: "echo", Transport: backend.TransportHTTP, URL: url}}
	})
	a, b := hubs[0], hubs[1]
	within(t, "echo ready on both hubs", func() bool { return callsEcho(t, a, a.OwnerKey) && callsEcho(t, b, b.OwnerKey) })

	sid := initialize(t, http.DefaultClient, a, a.OwnerKey)
	if out := rpc(t, http.DefaultClient, b, b.OwnerKey, sid, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`); !strings.Contains(out, "echo__echo") {
		t.Fatalf("tools/list on B in A's session: %s", out)
	}
	if out := rpc(t, http.DefaultClient, b, b.OwnerKey, sid, callEcho); !strings.Contains(out, "echoed") {
		t.Fatalf("tools/call on B in A's session: %s", out)
	}
	if out := rpc(t, http.DefaultClient, a, a.OwnerKey, sid, callEcho); !strings.Contains(out, "echoed") {
		t.Fatalf("tools/call back on A: %s", out)
	}
	// Refused: another caller with the id, a changed id.
	_, _, other := userKey(t, a, "olga", "owner")
	within(t, "user created on A known on B", func() bool { return callsEcho(t, b, other) })
	if resp, body := post(t, http.DefaultClient, b, other, sid, callEcho); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another caller used A's session on B: %d %s", resp.StatusCode, body)
	}
	forged := sid[:len(sid)-4] + "AAAA"
	if resp, body := post(t, http.DefaultClient, b, b.OwnerKey, forged, callEcho); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a changed session id was accepted on B: %d %s", resp.StatusCode, body)
	}
}

// Two hubs on one PostgreSQL with one data directory (one host, one user): the second takes
// the next free audit journal instead of refusing to start, and both record calls. Before,
// the second failed with "journal directory in use" and no hint why.
func TestClusterHubsShareADataDir(t *testing.T) {
	url := echoServer(t)
	shared := t.TempDir()
	hubs := hubtest.Cluster(t, 2, func(c *config.Config) {
		c.DataDir = shared
		c.Backends = []backend.Config{{Name: "echo", Transport: backend.TransportHTTP, URL: url}}
	})
	for i, h := range hubs {
		within(t, fmt.Sprintf("hub %d calls", i), func() bool { return callsEcho(t, h, h.OwnerKey) })
	}
	for _, dir := range []string{"audit", "audit.2"} {
		if _, err := os.Stat(filepath.Join(shared, dir, "lock")); err != nil {
			t.Errorf("journal %s: %v", dir, err)
		}
	}
}

// On SQLite a second hub on the same data directory is refused, and the error says why.
func TestSecondHubOnSQLiteDataDirIsRefusedClearly(t *testing.T) {
	first := hubtest.Start(t, nil)
	cfg := config.Default()
	cfg.DataDir, cfg.Listen = first.DataDir, "127.0.0.1:0"
	s, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		s.Store.Close()
		t.Fatal("a second hub started on the same SQLite data directory")
	}
	for _, want := range []string{"another hub is running with data_dir " + first.DataDir, "its own data_dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// A session continued on another hub counts against that hub's per-key session cap: at
// the cap the request is refused with 429 naming the setting, not taken over silently.
func TestClusterContinuedSessionCountsAgainstTheCap(t *testing.T) {
	hubs := hubtest.Cluster(t, 2, func(c *config.Config) { c.Limits.MaxSessionsPerKey = 1 })
	a, b := hubs[0], hubs[1]
	sidA := initialize(t, http.DefaultClient, a, a.OwnerKey)
	sidB := initialize(t, http.DefaultClient, b, b.OwnerKey) // B's one session for this key
	resp, body := post(t, http.DefaultClient, b, b.OwnerKey, sidA, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "limits.max_sessions_per_key") {
		t.Fatalf("A's session on B at B's cap: %d %s", resp.StatusCode, body)
	}
	// Below the cap it continues.
	req, _ := http.NewRequest(http.MethodDelete, b.MCPURL(), nil)
	req.Header.Set("Authorization", "Bearer "+b.OwnerKey)
	req.Header.Set("Mcp-Session-Id", sidB)
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE B's session: %v %v", r, err)
	}
	if out := rpc(t, http.DefaultClient, b, b.OwnerKey, sidA, `{"jsonrpc":"2.0","id":4,"method":"tools/list"}`); !strings.Contains(out, `"result"`) {
		t.Fatalf("A's session on B below the cap: %s", out)
	}
}
