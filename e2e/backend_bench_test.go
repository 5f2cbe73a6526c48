package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// BenchmarkBackendCallOnly is the backend session alone (our stdio connection + server-everything),
// in process: with BenchmarkCallThroughHub it splits the per-call cost between the backend
// session and hub + tunnel + agent.
func BenchmarkBackendCallOnly(b *testing.B) {
	everything := npmBin(b, "mcp-server-everything")
	ready := make(chan struct{}, 1)
	set, err := backend.NewSet([]backend.Config{{Name: "e", Transport: "stdio", Command: everything}}, backend.Options{
		Logger: slog.New(slog.DiscardHandler),
		OnChange: func(p protocol.Backend) {
			if p.State == protocol.StateReady {
				select {
				case ready <- struct{}{}:
				default:
				}
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go set.Run(ctx)
	defer cancel()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		b.Fatal("not ready")
	}
	cpu0, _ := processCPU()
	for i := 0; b.Loop(); i++ {
		id, _ := jsonrpc.MakeID(float64(i + 1))
		_, err := set.Call(ctx, "e", &backend.Call{Request: &jsonrpc.Request{ID: id, Method: "tools/call", Params: []byte(fmt.Sprintf(`{"name":"echo","arguments":{"message":"m%d"}}`, i))}})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPUPerCall(b, cpu0)
}
