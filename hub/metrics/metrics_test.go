package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// TestObserveResolvedSeries: Observe keeps its series resolved between calls, and counts
// into the same series the vectors expose at /metrics — one per label set, calls and
// durations apart, and no duration series for a refusal.
func TestObserveResolvedSeries(t *testing.T) {
	m := New(Gauges{})
	call := &store.AuditEvent{Kind: store.AuditCall, Action: "tools/call", Agent: "a", Backend: "b", Tool: "a__b__t", Status: "ok", Duration: 3 * time.Millisecond}
	for range 3 {
		m.Observe(call)
	}
	failed := *call
	failed.Status = "error"
	m.Observe(&failed)
	m.Observe(&store.AuditEvent{Kind: store.AuditDenied, Action: "tools/call", Agent: "x", Backend: "y", Tool: "x__y__t", Status: "denied", Rule: "rbac"})

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	var lines []string
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, "mcpgw_calls_total{") || strings.HasPrefix(l, "mcpgw_denied_total{") ||
			strings.HasPrefix(l, "mcpgw_call_duration_seconds_count{") {
			lines = append(lines, l)
		}
	}
	got := strings.Join(lines, "\n")
	want := strings.Join([]string{
		`mcpgw_call_duration_seconds_count{agent="a",backend="b",method="tools/call"} 4`,
		`mcpgw_calls_total{agent="a",backend="b",method="tools/call",status="error",tool="a__b__t"} 1`,
		`mcpgw_calls_total{agent="a",backend="b",method="tools/call",status="ok",tool="a__b__t"} 3`,
		`mcpgw_calls_total{agent="x",backend="y",method="tools/call",status="denied",tool="x__y__t"} 1`,
		`mcpgw_denied_total{rule="rbac"} 1`,
	}, "\n")
	if got != want {
		t.Fatalf("series:\n%s\nwant:\n%s", got, want)
	}
}
