//go:build unix

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// TestAuditSurvivesKill9 is the audit trail's durability promise, end to end with the real
// hub binary: during a burst of tool calls from several clients the hub is killed with
// SIGKILL; after a restart, every call that returned success to its client has its audit
// event in the store. On SQLite and on PostgreSQL.
func TestAuditSurvivesKill9(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			cfg := store.Config{DataDir: t.TempDir()}
			if db == "postgres" {
				cfg.DatabaseURL = storetest.PostgresURL(t)
			}
			auditKill9(t, cfg)
		})
	}
}

var ownerKeyRE = regexp.MustCompile(`mcpgw_[A-Za-z0-9_-]{20,}`)

func auditKill9(t *testing.T, cfg store.Config) {
	hubBin := buildBinary(t, "hub/cmd/mcp-gateway-hub")
	everything := npmBin(t, "mcp-server-everything")
	port := freePort(t)
	conf := filepath.Join(t.TempDir(), "hub.toml")
	// The burst below calls as fast as it can with one key: no rate limit (docs/LIMITS.md).
	body := fmt.Sprintf("listen = \"127.0.0.1:%d\"\ndata_dir = %q\n\n[limits]\nkey_rate = 0\n\n[[backends]]\nname = \"everything\"\ntransport = \"stdio\"\ncommand = %q\n", port, cfg.DataDir, everything)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"DATABASE_URL=" + cfg.DatabaseURL}
	out, err := exec.Command(hubBin, "init", "--config", conf, "--database-url", cfg.DatabaseURL).CombinedOutput()
	key := ownerKeyRE.FindString(string(out))
	if err != nil || key == "" {
		t.Fatalf("init: %v\n%s", err, out)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	hub := start(t, env, hubBin, "serve", "--config", conf)
	waitHTTP(t, base+"/healthz")
	sessions := connectClients(t, base+"/mcp", key, 6)

	// The burst: every client calls echo with unique messages until the hub dies.
	var mu sync.Mutex
	var ok []string
	var wg sync.WaitGroup
	for c, cs := range sessions {
		wg.Go(func() {
			for i := 0; ; i++ {
				msg := fmt.Sprintf("burst-%d-%d", c, i)
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "everything__echo", Arguments: map[string]any{"message": msg}})
				if err != nil {
					return
				}
				if !res.IsError && strings.Contains(text(res.Content), msg) {
					mu.Lock()
					ok = append(ok, msg)
					mu.Unlock()
				}
			}
		})
	}
	waitFor(t, time.Minute, "200 successful calls", func() bool { mu.Lock(); defer mu.Unlock(); return len(ok) >= 200 })
	if err := syscall.Kill(-hub.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	_ = hub.cmd.Wait()
	t.Logf("%d calls returned success before kill -9", len(ok))

	// The restart replays the journal before it serves.
	again := start(t, env, hubBin, "serve", "--config", conf)
	waitHTTP(t, base+"/healthz")
	again.stop()

	st := storetest.Open(t, cfg)
	recorded := map[string]bool{}
	q := store.AuditQuery{Kind: "call", Tool: "everything__echo", Limit: 1000}
	for {
		evs, next, err := st.QueryAudit(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if m := regexp.MustCompile(`burst-\d+-\d+`).FindString(ev.Request); m != "" && ev.Status == "ok" {
				recorded[m] = true
			}
		}
		if next == "" {
			break
		}
		q.Cursor = next
	}
	missing := 0
	for _, m := range ok {
		if !recorded[m] {
			missing++
			if missing <= 5 {
				t.Errorf("call %s returned success but has no audit event", m)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d successful calls have no audit event after kill -9", missing, len(ok))
	}
}

// connectClients opens n MCP sessions with the key.
func connectClients(t *testing.T, url, key string, n int) []*mcp.ClientSession {
	t.Helper()
	var out []*mcp.ClientSession
	for i := range n {
		client := mcp.NewClient(&mcp.Implementation{Name: fmt.Sprintf("burst-%d", i), Version: "1"}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var cs *mcp.ClientSession
		var err error
		waitFor(t, 30*time.Second, "the hub's echo tool", func() bool {
			if cs == nil {
				cs, err = client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: authClient(key)}, nil)
				if err != nil {
					cs = nil
					return false
				}
			}
			_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "everything__echo", Arguments: map[string]any{"message": "warm-up"}})
			return err == nil
		})
		cancel()
		t.Cleanup(func() { cs.Close() })
		out = append(out, cs)
	}
	return out
}
