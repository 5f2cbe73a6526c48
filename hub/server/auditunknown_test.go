package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	mcpgw "github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// countingServer is a real go-sdk MCP server on 127.0.0.1 whose tool "count" counts the
// times it ran: the side effect that must never happen without an audit event.
func countingServer(t *testing.T, ran *atomic.Int64) string {
	s := mcp.NewServer(&mcp.Implementation{Name: "disk", Version: "1"}, nil)
	s.AddTool(&mcp.Tool{Name: "count", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			n := ran.Add(1)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strconv.FormatInt(n, 10)}}}, nil
		})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

// metric reads one sample of /metrics (metrics_public is on in these tests).
func metric(t *testing.T, h *hubtest.Hub, sample string) float64 {
	t.Helper()
	_, body := get(t, h.URL+"/metrics")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("/metrics lacks %s", sample)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// startCountingHub starts a hub (metrics public) with the counting server as the hub-local
// backend "disk", and waits for its tool disk__count.
func startCountingHub(t *testing.T, ran *atomic.Int64, mod func(*config.Config)) *hubtest.Hub {
	t.Helper()
	url := countingServer(t, ran)
	h := hubtest.Start(t, func(c *config.Config) {
		c.MetricsPublic = true
		c.Backends = []backend.Config{{Name: "disk", Transport: backend.TransportHTTP, URL: url}}
		if mod != nil {
			mod(c)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for _, ok := h.Server.Router.Table().Tool("disk__count"); !ok; _, ok = h.Server.Router.Table().Tool("disk__count") {
		if time.Now().After(deadline) {
			t.Fatal("tool disk__count never appeared")
		}
		time.Sleep(10 * time.Millisecond) // the routing table has no event to wait on: poll
	}
	return h
}

// auditEvents returns the stored call events of one tool name, newest first.
func auditEvents(t *testing.T, h *hubtest.Hub, tool string) []store.AuditEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.Server.Audit.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := h.Server.Store.QueryAudit(ctx, store.AuditQuery{Tool: tool, Kind: store.AuditCall, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestUnknownNamesAreAudited: a tools/call, prompts/get or resources/read of a name no
// backend has is refused with -32602 as before, and now leaves an audit row naming the
// caller and what was asked; a known tool's call is audited as before. The made-up name does
// not become a metric label.
func TestUnknownNamesAreAudited(t *testing.T) {
	var ran atomic.Int64
	h := startCountingHub(t, &ran, nil)
	c := &http.Client{}
	sid := initialize(t, c, h, h.OwnerKey)
	for i, tc := range []struct{ method, params, name, want string }{
		{"tools/call", `{"name":"disk__count","arguments":{}}`, "disk__count", ""},
		{"tools/call", `{"name":"nope__rm_rf","arguments":{"path":"/"}}`, "nope__rm_rf", `unknown tool "nope__rm_rf"`},
		{"prompts/get", `{"name":"no_such_prompt"}`, "no_such_prompt", `unknown prompt "no_such_prompt"`},
		{"resources/read", `{"uri":"file:///etc/shadow"}`, "file:///etc/shadow", `unknown resource "file:///etc/shadow"`},
	} {
		body := rpc(t, c, h, h.OwnerKey, sid, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, i+1, tc.method, tc.params))
		code, msg, _ := rpcError(t, body)
		if tc.want == "" {
			if code != 0 || ran.Load() != 1 {
				t.Fatalf("%s: %d %s, backend ran %d times", tc.name, code, msg, ran.Load())
			}
		} else if code != mcpgw.CodeInvalidParams || !strings.Contains(msg, tc.want) {
			t.Fatalf("%s: %d %s; want -32602 %s", tc.name, code, msg, tc.want)
		}
		evs := auditEvents(t, h, tc.name)
		if len(evs) != 1 {
			t.Fatalf("%s: %d audit events, want 1", tc.name, len(evs))
		}
		ev := evs[0]
		if ev.Kind != store.AuditCall || ev.Action != tc.method || ev.KeyID == "" || ev.UserID == "" || ev.RequestHash == "" {
			t.Errorf("%s: event %+v", tc.name, ev)
		}
		if tc.want == "" {
			if ev.Status != "ok" || ev.Backend != "disk" {
				t.Errorf("known tool: event %+v", ev)
			}
		} else if ev.Status != "error" || !strings.Contains(ev.Error, tc.want) || ev.Backend != "" {
			t.Errorf("%s: event %+v", tc.name, ev)
		}
	}
	_, metrics := get(t, h.URL+"/metrics")
	if strings.Contains(metrics, "nope__rm_rf") || !strings.Contains(metrics, `tool="(unknown)"`) {
		t.Errorf("unknown names in /metrics labels, or not counted as (unknown)")
	}
}
