package server_test

import (
	"bufio"
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// newKey makes another key of the hub's owner, for application app.
func newKey(t *testing.T, h *hubtest.Hub, app string) string {
	t.Helper()
	ctx := context.Background()
	users, err := h.Server.Store.ListUsers(ctx)
	if err != nil || len(users) == 0 {
		t.Fatalf("users: %v %v", users, err)
	}
	_, key, err := auth.CreateUserKey(ctx, h.Server.Store, users[0].ID, auth.KeyOptions{Name: "k-" + app, Application: app, Scope: store.ScopeAll})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Server.Keys.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return key
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSessionFlood: one key initializing sessions in a loop, with the default caps, holds
// at most max_sessions_per_key of them; the rest are refused with 429 and
// CodeSessionLimit naming the setting; another key still opens sessions; memory stays
// bounded (before the cap, 300,000 sessions took the hub from 37 to 442 MiB).
func TestSessionFlood(t *testing.T) {
	h := hubtest.Start(t, nil)
	max := config.Default().Limits.MaxSessionsPerKey
	c := &http.Client{Timeout: 30 * time.Second}
	before := heapAfterGC()
	const flood = 3000
	refused := 0
	for i := range flood {
		resp, body := post(t, c, h, h.OwnerKey, "", initBody)
		switch {
		case resp.StatusCode == http.StatusOK && i < max:
		case resp.StatusCode == http.StatusTooManyRequests && i >= max:
			if !strings.Contains(body, `"code":-32036`) || !strings.Contains(body, "limits.max_sessions_per_key") {
				t.Fatalf("refusal %d: %s", i, body)
			}
			refused++
		default:
			t.Fatalf("initialize %d: %d %s", i, resp.StatusCode, body)
		}
	}
	grown := int64(heapAfterGC()) - int64(before)
	t.Logf("flood of %d initializes: %d sessions open, %d refused, heap grew %.1f MiB", flood, h.Server.GW.Sessions(), refused, float64(grown)/(1<<20))
	if n := h.Server.GW.Sessions(); n != max {
		t.Errorf("%d sessions open, want the cap %d", n, max)
	}
	if grown > 64<<20 {
		t.Errorf("heap grew %d MiB for %d sessions", grown>>20, max)
	}
	if st := h.Server.GW.LimitStats(); st.SessionsRefused != int64(refused) {
		t.Errorf("stats %+v, want %d refused", st, refused)
	}
	other := newKey(t, h, "other")
	sid := initialize(t, c, h, other)
	if got := rpc(t, c, h, other, sid, `{"jsonrpc":"2.0","id":2,"method":"ping"}`); !strings.Contains(got, `"result":{}`) {
		t.Fatalf("another key's ping: %s", got)
	}
}

// TestUnusedSessionsExpire: sessions that made no request after initialize end after
// session_idle_unused; a session in use stays (it has session_idle, an hour).
func TestUnusedSessionsExpire(t *testing.T) {
	h := hubtest.Start(t, func(c *config.Config) {
		// Long enough for the used session's ping to follow its initialize on a busy machine.
		c.Limits.SessionIdleUnused = config.Duration{Duration: 2 * time.Second}
	})
	c := &http.Client{Timeout: 30 * time.Second}
	for range 10 {
		initialize(t, c, h, h.OwnerKey)
	}
	used := initialize(t, c, h, h.OwnerKey)
	rpc(t, c, h, h.OwnerKey, used, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	eventually(t, "unused sessions to expire", func() bool { return h.Server.GW.Sessions() == 1 })
	if got := rpc(t, c, h, h.OwnerKey, used, `{"jsonrpc":"2.0","id":3,"method":"ping"}`); !strings.Contains(got, `"result":{}`) {
		t.Fatalf("the used session: %s", got)
	}
	if st := h.Server.GW.LimitStats(); st.ExpiredUnused != 10 || st.ExpiredIdle != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// listen opens a subscriptions/listen stream and returns the response; the caller closes
// its body.
func listen(t *testing.T, h *hubtest.Hub, key string) *http.Response {
	t.Helper()
	const meta = `"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}`
	req, _ := http.NewRequest(http.MethodPost, h.MCPURL(), strings.NewReader(
		`{"jsonrpc":"2.0","id":7,"method":"subscriptions/listen","params":{"_meta":{`+meta+`},"notifications":{"toolsListChanged":true}}}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "subscriptions/listen")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("subscriptions/listen: %v", err)
	}
	return resp
}

// TestListenCap: a key holds at most max_listens_per_key streams; the next is refused
// with 429 and CodeSessionLimit; another key is not affected; a closed stream frees its
// place.
func TestListenCap(t *testing.T) {
	h := hubtest.Start(t, func(c *config.Config) { c.Limits.MaxListensPerKey = 2 })
	var open []*http.Response
	defer func() {
		for _, r := range open {
			r.Body.Close()
		}
	}()
	for range 2 {
		r := listen(t, h, h.OwnerKey)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("listen: %d", r.StatusCode)
		}
		waitLine(t, bufio.NewScanner(r.Body), "acknowledged")
		open = append(open, r)
	}
	r := listen(t, h, h.OwnerKey)
	var body strings.Builder
	bufio.NewReader(r.Body).WriteTo(&body)
	r.Body.Close()
	if r.StatusCode != http.StatusTooManyRequests || !strings.Contains(body.String(), `"code":-32036`) ||
		!strings.Contains(body.String(), "limits.max_listens_per_key") {
		t.Fatalf("third stream: %d %s", r.StatusCode, body.String())
	}
	o := listen(t, h, newKey(t, h, "other"))
	open = append(open, o)
	if o.StatusCode != http.StatusOK {
		t.Fatalf("another key's stream: %d", o.StatusCode)
	}
	open[0].Body.Close()
	eventually(t, "a closed stream to free its place", func() bool {
		r := listen(t, h, h.OwnerKey)
		defer r.Body.Close()
		return r.StatusCode == http.StatusOK
	})
}
