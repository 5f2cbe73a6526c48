package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// traceMesh is a hub with a hub-local metaecho ("local__meta") and an agent "laptop"
// serving metaecho ("laptop__meta__meta"), both tracing to endpoint when it is set.
type traceMesh struct {
	hub   *hubtest.Hub
	agent *process
	cs    *mcp.ClientSession
}

// traceHeader sets the traceparent header of a client's POST from its context (the go-sdk
// client's HTTP requests carry the call's context).
type traceHeader struct{ key string }

type traceHeaderKey struct{}

func (h traceHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+h.key)
	if tp, ok := r.Context().Value(traceHeaderKey{}).(string); ok {
		r.Header.Set("traceparent", tp)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func startTraceMesh(t *testing.T, hubEndpoint, agentTracing string, agentEnv []string) *traceMesh {
	t.Helper()
	meta := buildBinary(t, "e2e/testdata/metaecho")
	hub := hubtest.Start(t, func(c *config.Config) {
		c.Tracing.Endpoint = hubEndpoint
		c.Backends = []backend.Config{{Name: "local", Transport: "stdio", Command: meta}}
	})
	key := hub.EnrollAgent(t, "laptop")
	conf := filepath.Join(t.TempDir(), "config.toml")
	body := fmt.Sprintf("[agent]\nagent_id = \"laptop\"\ngateway_url = %q\napi_key = %q\n\n[[backends]]\nname = \"meta\"\ntransport = \"stdio\"\ncommand = %q\n%s",
		hub.AgentURL(), key, meta, agentTracing)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &traceMesh{hub: hub}
	m.agent = start(t, agentEnv, buildBinary(t, "agent/cmd/mcp-gateway-agent"), "run", "--headless", "--config", conf)
	(&mesh{hub: hub}).waitTools(t, "laptop__meta__meta", "local__meta")
	client := mcp.NewClient(&mcp.Implementation{Name: "tracing-test", Version: "1"}, nil)
	cs, err := client.Connect(ctxFor(t, time.Minute), &mcp.StreamableClientTransport{Endpoint: hub.MCPURL(),
		HTTPClient: &http.Client{Transport: traceHeader{hub.OwnerKey}}}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	m.cs = cs
	return m
}

// backendMeta calls a metaecho tool and returns the _meta its backend got.
func (m *traceMesh) backendMeta(t *testing.T, ctx context.Context, tool string, meta mcp.Meta) map[string]any {
	t.Helper()
	res, err := m.cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}, Meta: meta})
	if err != nil {
		t.Fatalf("call %s: %v", tool, err)
	}
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("call %s: %+v", tool, res)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &got); err != nil {
		t.Fatalf("call %s: backend's answer: %v", tool, err)
	}
	return got
}

// auditTrace returns the tools of the audit rows the REST API finds by trace id.
func auditTrace(t *testing.T, hub *hubtest.Hub, traceID string) []string {
	t.Helper()
	resp, err := authClient(hub.OwnerKey).Get(hub.URL + "/api/v1/audit?trace_id=" + traceID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			Tool    string `json:"tool"`
			TraceID string `json:"trace_id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/audit: %d %v", resp.StatusCode, err)
	}
	var tools []string
	for _, it := range page.Items {
		if it.TraceID != traceID {
			t.Fatalf("audit query by trace_id %s returned a row of trace %s", traceID, it.TraceID)
		}
		tools = append(tools, it.Tool)
	}
	return tools
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// parentOf splits a traceparent into trace id and parent (span) id.
func parentOf(t *testing.T, v any) (traceID, spanID string) {
	t.Helper()
	s, _ := v.(string)
	p := strings.Split(s, "-")
	if len(p) != 4 || len(p[1]) != 32 || len(p[2]) != 16 {
		t.Fatalf("the backend got no valid traceparent: %q", s)
	}
	return p[1], p[2]
}

// one finds the one span of a trace with this service and name.
func one(t *testing.T, spans []gotSpan, service, name string) gotSpan {
	t.Helper()
	var found []gotSpan
	for _, s := range spans {
		if s.service == service && s.name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s span %q in the trace, got %d of %d spans: %+v", service, name, len(found), len(spans), spans)
	}
	return found[0]
}

// waitSpans waits until the trace has n spans (the hub and the agent export in batches).
func waitSpans(t *testing.T, r *otlpReceiver, traceID string, n int) []gotSpan {
	t.Helper()
	waitFor(t, 90*time.Second, fmt.Sprintf("%d spans of trace %s", n, traceID), func() bool { return len(r.trace(traceID)) >= n })
	return r.trace(traceID)
}

// TestTracesAcrossHubAgentBackend runs a real hub and agent exporting to an OTLP/HTTP
// receiver started here, with a real stdio backend that echoes the _meta it gets: one
// trace per call, the client's trace id kept, every stage's span under the call's root,
// the agent's spans under the hub's upstream span, the backend's parent the span of its
// caller, and the audit row found by the trace id.
func TestTracesAcrossHubAgentBackend(t *testing.T) {
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100") // export every 0.1 s instead of 5 s
	rcv := startOTLP(t)
	m := startTraceMesh(t, rcv.URL, "\n[tracing]\nendpoint = \""+rcv.URL+"\"\n", []string{"OTEL_BSP_SCHEDULE_DELAY=100"})
	ctx := ctxFor(t, 2*time.Minute)
	hubStages := []string{"auth", "decode", "limits", "route", "checks", "audit.admit", "audit.record"}

	t.Run("agent tool, traceparent in _meta", func(t *testing.T) {
		traceID, clientSpan := randHex(16), randHex(8)
		got := m.backendMeta(t, ctx, "laptop__meta__meta", mcp.Meta{"traceparent": "00-" + traceID + "-" + clientSpan + "-01"})
		seenTrace, seenParent := parentOf(t, got["traceparent"])
		if seenTrace != traceID {
			t.Fatalf("the backend got trace %s, want the client's %s", seenTrace, traceID)
		}
		spans := waitSpans(t, rcv, traceID, len(hubStages)+4)
		root := one(t, spans, "mcp-gateway-hub", "tools/call laptop__meta__meta")
		if root.parent != clientSpan || root.kind != "SPAN_KIND_SERVER" {
			t.Fatalf("root span: parent %s kind %s, want the client's span %s, server", root.parent, root.kind, clientSpan)
		}
		for _, name := range hubStages {
			if s := one(t, spans, "mcp-gateway-hub", name); s.parent != root.span {
				t.Errorf("hub span %q: parent %s, want the root %s", name, s.parent, root.span)
			}
		}
		up := one(t, spans, "mcp-gateway-hub", "upstream tunnel")
		recv := one(t, spans, "mcp-gateway-agent", "receive")
		back := one(t, spans, "mcp-gateway-agent", "backend")
		switch {
		case up.parent != root.span:
			t.Errorf("upstream span's parent %s, want the root %s", up.parent, root.span)
		case recv.parent != up.span:
			t.Errorf("agent's receive span: parent %s, want the hub's upstream span %s", recv.parent, up.span)
		case back.parent != recv.span:
			t.Errorf("agent's backend span: parent %s, want its receive span %s", back.parent, recv.span)
		case seenParent != back.span:
			t.Errorf("the backend's parent span %s, want the agent's backend span %s", seenParent, back.span)
		}
		if up.attrs["mcpgw.agent"] != "laptop" || recv.attrs["mcpgw.backend"] != "meta" {
			t.Errorf("attributes: upstream %v, receive %v", up.attrs, recv.attrs)
		}
		if n := len(spans); n != len(hubStages)+4 {
			t.Errorf("trace has %d spans, want %d (one trace per call): %+v", n, len(hubStages)+4, spans)
		}
		waitFor(t, 60*time.Second, "the audit row of trace "+traceID, func() bool { return len(auditTrace(t, m.hub, traceID)) == 1 })
	})

	t.Run("hub-local tool, traceparent header", func(t *testing.T) {
		traceID, clientSpan := randHex(16), randHex(8)
		cctx := context.WithValue(ctx, traceHeaderKey{}, "00-"+traceID+"-"+clientSpan+"-01")
		got := m.backendMeta(t, cctx, "local__meta", nil)
		seenTrace, seenParent := parentOf(t, got["traceparent"])
		if seenTrace != traceID {
			t.Fatalf("the backend got trace %s, want the client's %s", seenTrace, traceID)
		}
		spans := waitSpans(t, rcv, traceID, len(hubStages)+2)
		root := one(t, spans, "mcp-gateway-hub", "tools/call local__meta")
		up := one(t, spans, "mcp-gateway-hub", "upstream local")
		if root.parent != clientSpan || up.parent != root.span || seenParent != up.span {
			t.Fatalf("links: root's parent %s (want %s), upstream's %s (want %s), backend's %s (want %s)",
				root.parent, clientSpan, up.parent, root.span, seenParent, up.span)
		}
		waitFor(t, 60*time.Second, "the audit row of trace "+traceID, func() bool { return len(auditTrace(t, m.hub, traceID)) == 1 })
	})

	t.Run("no traceparent: the hub starts the trace", func(t *testing.T) {
		got := m.backendMeta(t, ctx, "laptop__meta__meta", nil)
		traceID, _ := parentOf(t, got["traceparent"])
		spans := waitSpans(t, rcv, traceID, len(hubStages)+4)
		if root := one(t, spans, "mcp-gateway-hub", "tools/call laptop__meta__meta"); root.parent != "" {
			t.Fatalf("a new trace's root has parent %s", root.parent)
		}
		one(t, spans, "mcp-gateway-agent", "backend")
		waitFor(t, 60*time.Second, "the audit row of trace "+traceID, func() bool { return len(auditTrace(t, m.hub, traceID)) == 1 })
	})
}

// TestTracingOffExportsNothing: without an endpoint the hub records nothing, and an agent
// whose [tracing] is switched off by OTEL_TRACES_EXPORTER=none exports nothing; the client's
// traceparent reaches the backend as the client sent it.
func TestTracingOffExportsNothing(t *testing.T) {
	rcv := startOTLP(t)
	m := startTraceMesh(t, "", "\n[tracing]\nendpoint = \""+rcv.URL+"\"\n", []string{"OTEL_TRACES_EXPORTER=none", "OTEL_BSP_SCHEDULE_DELAY=100"})
	ctx := ctxFor(t, 2*time.Minute)
	traceID, clientSpan := randHex(16), randHex(8)
	tp := "00-" + traceID + "-" + clientSpan + "-01"
	got := m.backendMeta(t, ctx, "laptop__meta__meta", mcp.Meta{"traceparent": tp})
	if got["traceparent"] != tp {
		t.Fatalf("the backend got traceparent %v, want the client's %s unchanged", got["traceparent"], tp)
	}
	// Stopping flushes whatever a tracer would have queued.
	m.cs.Close()
	m.agent.stop()
	<-m.agent.ended
	if err := m.hub.Stop(); err != nil {
		t.Fatal(err)
	}
	if posts, spans := rcv.received(); posts != 0 || spans != 0 {
		t.Fatalf("tracing off: the receiver got %d exports with %d spans", posts, spans)
	}
}
