package backend

import (
	"context"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkHTTPCall: one tools/call through a streamable-HTTP backend to go-sdk's server
// in this process on 127.0.0.1 (an echo tool), in each era, 16 callers at once. The server
// is the same in every run, so the difference between two trees is the client side: the
// backend's connection and session. cpu-µs/call is this process's user+system time per
// call (the server's included).
func BenchmarkHTTPCall(b *testing.B) {
	server := mcp.NewServer(&mcp.Implementation{Name: "echo", Version: "1"}, nil)
	type args struct {
		Message string `json:"message"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, a args) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Echo: " + a.Message}}}, nil, nil
	})
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	defer srv.Close()
	for _, era := range []string{EraAuto, EraLegacy} {
		b.Run("era="+era, func(b *testing.B) {
			r := start(b, Config{Name: "echo", Transport: TransportHTTP, URL: srv.URL, Era: era}, Options{})
			params := []byte(`{"name":"echo","arguments":{"message":"bench"}}`)
			id, _ := jsonrpc.MakeID(float64(1))
			var ru0, ru1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.SetParallelism(8) // 16 callers on 2 cores
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := r.Call(context.Background(), &Call{Request: &jsonrpc.Request{ID: id, Method: "tools/call", Params: params}})
					if err != nil || resp.Error != nil {
						b.Errorf("call: %v %v", err, resp)
						return
					}
				}
			})
			b.StopTimer()
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := float64(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) / 1e3
			b.ReportMetric(cpu/float64(b.N), "cpu-µs/call")
		})
	}
}
