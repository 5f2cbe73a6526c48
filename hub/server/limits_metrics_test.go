package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// TestLimitMetrics: every metric of the front door's bounds listed in docs/METRICS.md is
// served at /metrics, with its labels.
func TestLimitMetrics(t *testing.T) {
	h := hubtest.Start(t, nil)
	req, _ := http.NewRequest(http.MethodGet, h.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+h.OwnerKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"mcpgw_http_connections ",
		`mcpgw_http_connections_refused_total{cap="total"}`, `mcpgw_http_connections_refused_total{cap="address"}`,
		`mcpgw_http_connections_evicted_total{cap="total"}`, `mcpgw_http_connections_evicted_total{cap="address"}`,
		"mcpgw_http_accept_errors_total ",
		"mcpgw_listen_streams ",
		`mcpgw_session_limit_refusals_total{kind="session"}`, `mcpgw_session_limit_refusals_total{kind="listen"}`,
		`mcpgw_sessions_expired_total{reason="idle"}`, `mcpgw_sessions_expired_total{reason="unused"}`,
		`mcpgw_rate_limited_total{scope="key"}`, `mcpgw_rate_limited_total{scope="application"}`,
		"mcpgw_rate_limit_buckets ",
	} {
		if !strings.Contains(string(b), "\n"+want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
