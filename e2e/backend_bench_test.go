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
	benchBackendCall(b, npmBin(b, "mcp-server-everything"), func(i int) string {
		return fmt.Sprintf(`{"name":"echo","arguments":{"message":"m%d"}}`, i)
	}, "")
}

// BenchmarkBackendCallOnlyModern is the same with go-sdk's conformance everything-server (the
// server bench/callbench calls), which speaks the 2026-07-28 era: every call carries the
// _meta the backend session adds (protocol version, client info and capabilities).
func BenchmarkBackendCallOnlyModern(b *testing.B) {
	benchBackendCall(b, conformanceServer(b), func(int) string { return `{"name":"test_simple_text","arguments":{}}` }, "")
}

// BenchmarkBackendCallOnlyLegacyEra is BenchmarkBackendCallOnlyModern with the backend
// configured era = "legacy": the same server spoken to with initialize, one session.
func BenchmarkBackendCallOnlyLegacyEra(b *testing.B) {
	benchBackendCall(b, conformanceServer(b), func(int) string { return `{"name":"test_simple_text","arguments":{}}` }, backend.EraLegacy)
}

// benchBackendCall calls the tool of params over one backend session to command, in the
// era the config's era gives ("" for the probe's).
func benchBackendCall(b *testing.B, command string, params func(i int) string, era string) {
	ready := make(chan struct{}, 1)
	cfg := backend.Config{Name: "e", Transport: "stdio", Command: command, Era: era}
	set, err := backend.NewSet([]backend.Config{cfg}, backend.Options{
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
		resp, err := set.Call(ctx, "e", &backend.Call{Request: &jsonrpc.Request{ID: id, Method: "tools/call", Params: []byte(params(i))}})
		if err != nil {
			b.Fatal(err)
		}
		if resp.Error != nil {
			b.Fatal(resp.Error)
		}
	}
	reportCPUPerCall(b, cpu0)
}
