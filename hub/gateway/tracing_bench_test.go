package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
)

// BenchmarkCallTracing: one tools/call through the gateway in-process (fake upstream that
// answers at once), with tracing off (no endpoint: the default), on (every call sampled,
// spans batched and exported over OTLP/HTTP to a local server that reads and drops them)
// and on with sample_ratio 0 (spans started but not recorded). Off must cost what the
// gateway cost before tracing existed: compare with BenchmarkCallUngoverned.
func BenchmarkCallTracing(b *testing.B) {
	zero := 0.0
	for _, tc := range []struct {
		name  string
		ratio *float64
		on    bool
	}{{"off", nil, false}, {"on", nil, true}, {"on-unsampled", &zero, true}} {
		b.Run(tc.name, func(b *testing.B) {
			var tr *tracing.Tracer
			if tc.on {
				sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
				}))
				defer sink.Close()
				var err error
				if tr, err = tracing.New(context.Background(), tracing.Settings{Endpoint: sink.URL, SampleRatio: tc.ratio},
					tracing.Service{Name: "bench"}); err != nil || tr == nil {
					b.Fatalf("tracer: %v", err)
				}
				defer tr.Shutdown(context.Background())
			}
			benchTraced(b, tr)
		})
	}
}

func benchTraced(b *testing.B, tr *tracing.Tracer) {
	r := router.New(nil)
	r.Set("", hubBackends())
	gw := New(Config{KeepAlive: time.Hour, Tracer: tr}, keys, r, newFakeUpstream(), slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	gw.Mount(mux)
	hdr := sessionHeaders(b, mux)
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__echo","arguments":{"message":"hi"},` +
		`"_meta":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}}`)
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		benchPost(b, mux, body, hdr)
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
}
