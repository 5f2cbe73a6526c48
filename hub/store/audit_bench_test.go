//go:build unix

package store_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// benchAuditEvent is a typical allowed tool call as the audit shipper stores it.
func benchAuditEvent(i int) store.AuditEvent {
	return store.AuditEvent{ID: fmt.Sprintf("01J%023d", i), Time: t0.Add(time.Duration(i) * time.Microsecond),
		Kind: store.AuditCall, UserID: "usr_0123456789abcdef", KeyID: "key_0123456789abcdef",
		Caller: "alice", Role: "operator", Application: "cursor", Agent: "laptop", Backend: "github",
		Tool: "create_issue", Risk: "write", Decision: "allow", Rule: "allow-github", Status: "ok",
		Duration: 1200 * time.Microsecond, TraceID: benchTraceID(i),
		RequestHash:  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		ResponseHash: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		Request:      `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"laptop__github__create_issue","arguments":{"repo":"acme/web","title":"Login button misaligned on Safari"}}}`,
		Response:     `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"Created issue #1234: https://github.com/acme/web/issues/1234"}]}}`}
}

// benchTraceID is event i's trace id, made as the hub makes one for a call without a
// traceparent (audit.NewTraceID): time first, so consecutive events' ids sort in order, then
// bits that differ per event. Each call has its own trace: a constant id would hide the
// trace index's cost, and spread ids (what clients' own traceparents give) cost more
// (docs/BENCHMARKS.md, Audit).
func benchTraceID(i int) string {
	// splitmix64 for the tail: well spread and reproducible.
	x := uint64(i) + 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return fmt.Sprintf("%012x%020x", uint64(i)&(1<<48-1), x)
}

// processCPU is the CPU time this process has used (user + system), in nanoseconds.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkInsertAudit reports the store's cost per event (ns/event) for batches of the
// sizes the audit shipper sends: a trickle (1), a busy hub (10–100) and a full batch (500).
func BenchmarkInsertAudit(b *testing.B) {
	for _, be := range []struct {
		name string
		cfg  func(b *testing.B) store.Config
	}{
		{"sqlite", func(b *testing.B) store.Config { return store.Config{DataDir: b.TempDir()} }},
		{"postgres", func(b *testing.B) store.Config { return store.Config{DatabaseURL: storetest.PostgresURL(b)} }},
	} {
		for _, size := range []int{1, 10, 100, 500} {
			b.Run(fmt.Sprintf("%s/batch=%d", be.name, size), func(b *testing.B) {
				s := storetest.Open(b, be.cfg(b))
				ctx := context.Background()
				batch := make([]store.AuditEvent, size)
				n := 0
				b.ReportAllocs()
				cpu0 := processCPU(b)
				for b.Loop() {
					for i := range batch {
						batch[i] = benchAuditEvent(n)
						n++
					}
					if err := s.InsertAudit(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
				// The hub's own CPU (user+system of this process): SQLite runs in it, a
				// PostgreSQL server does not.
				b.ReportMetric(float64(processCPU(b)-cpu0)/float64(n), "cpu-ns/event")
			})
		}
	}
}
