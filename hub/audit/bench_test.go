//go:build unix

package audit_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// benchEvent is a typical allowed tool call, payloads already redacted.
func benchEvent() *store.AuditEvent {
	return &store.AuditEvent{Kind: store.AuditCall, UserID: "usr_0123456789abcdef", KeyID: "key_0123456789abcdef",
		Caller: "alice", Role: "operator", Application: "cursor", Agent: "laptop", Backend: "github",
		Tool: "create_issue", Risk: "write", Decision: "allow", Rule: "allow-github", Status: "ok",
		Duration: 1200 * time.Microsecond, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		RequestHash:  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		ResponseHash: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		Request:      `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"laptop__github__create_issue","arguments":{"repo":"acme/web","title":"Login button misaligned on Safari","body":"Steps: open /login on Safari 17"}}}`,
		Response:     `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"Created issue #1234: https://github.com/acme/web/issues/1234"}]}}`}
}

func benchRecorder(b *testing.B, fsync bool) *audit.Recorder {
	st := storetest.New(b)
	rec, err := audit.Open(context.Background(), audit.Config{Dir: b.TempDir(), Store: st, Fsync: fsync, QueueSize: 10_000_000}, quiet)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done; rec.Close() })
	return rec
}

// reportLatency adds p50 and p99 (ns) of the per-call latencies.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(lat[len(lat)/2]), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100]), "p99-ns")
}

func benchmarkRecord(b *testing.B, fsync bool) {
	rec := benchRecorder(b, fsync)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev := benchEvent()
		start := time.Now()
		if err := rec.Record(ev); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

func BenchmarkRecord(b *testing.B)      { benchmarkRecord(b, false) }
func BenchmarkRecordFsync(b *testing.B) { benchmarkRecord(b, true) }

func benchmarkRecordParallel(b *testing.B, fsync bool) {
	rec := benchRecorder(b, fsync)
	var mu sync.Mutex
	var all []time.Duration
	b.ReportAllocs()
	b.SetParallelism(8) // 8 × GOMAXPROCS goroutines: concurrent calls sharing one write
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var lat []time.Duration
		for pb.Next() {
			ev := benchEvent()
			start := time.Now()
			if err := rec.Record(ev); err != nil {
				b.Error(err)
				return
			}
			lat = append(lat, time.Since(start))
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	b.StopTimer()
	reportLatency(b, all)
}

func BenchmarkRecordParallel(b *testing.B)      { benchmarkRecordParallel(b, false) }
func BenchmarkRecordParallelFsync(b *testing.B) { benchmarkRecordParallel(b, true) }

// setPayloads is the gateway's work on a call's payloads before Record: the hash and the
// redacted form of the raw request and of the raw response.
func setPayloads(rec *audit.Recorder, ev *store.AuditEvent, request, response []byte) {
	ev.RequestHash, ev.Request = rec.Payload(request)
	ev.ResponseHash, ev.Response = rec.Payload(response)
}

// BenchmarkRecordWithPayloads is what a call pays in all: hashes and redaction of the raw
// request and response (setPayloads), then Record.
func BenchmarkRecordWithPayloads(b *testing.B) {
	rec := benchRecorder(b, false)
	template := benchEvent()
	req, resp := []byte(template.Request), []byte(template.Response)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev := benchEvent()
		start := time.Now()
		setPayloads(rec, ev, req, resp)
		if err := rec.Record(ev); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

func BenchmarkRedactPayload(b *testing.B) {
	r, _ := audit.NewRedactor(nil, nil, 4096)
	raw := []byte(benchEvent().Request)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		r.Payload(raw)
	}
}

// BenchmarkSetPayloads is what the gateway does with a call's raw request and result before
// Record: hash both and redact both (a typical tools/call, nothing to redact).
func BenchmarkSetPayloads(b *testing.B) {
	rec := benchRecorder(b, false) // setPayloads only: the shipper stays idle
	template := benchEvent()
	req, resp := []byte(template.Request), []byte(template.Response)
	b.ReportAllocs()
	for b.Loop() {
		var ev store.AuditEvent
		setPayloads(rec, &ev, req, resp)
	}
}

// processCPU is the CPU time this process has used (user + system), in nanoseconds.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkShip is the shipper's cost per event: b.N events wait in the journal, and the
// timer runs while the shipper reads, parses and stores them (SQLite, full batches).
// cpu-ns/event is this process's user+system CPU over the shipping, what the hub pays.
// BenchmarkShip: b.N events wait, then the shipper stores them (cpu-ns/event: its CPU per
// event). memory: as a running hub ships, taking them from the memory queue; journal: as at
// a restart (or with the queue full), reading and decoding them back from the journal.
func BenchmarkShip(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchmarkShip(b, 1<<30) })
	b.Run("journal", func(b *testing.B) { benchmarkShip(b, -1) })
}

func benchmarkShip(b *testing.B, memBytes int64) {
	st := storetest.New(b)
	rec, err := audit.Open(context.Background(), audit.Config{Dir: b.TempDir(), Store: st, QueueSize: 10_000_000,
		MemoryQueueBytes: memBytes}, quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	for range b.N {
		// Each call has its own trace, as in the hub: the trace index takes its rows at
		// random places, not at one spot.
		ev := benchEvent()
		ev.TraceID = audit.NewTraceID(time.Now())
		if err := rec.Record(ev); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	go func() { rec.Run(ctx); close(done) }()
	if err := rec.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/event")
	b.StopTimer()
	cancel()
	<-done
	if s := rec.Stats(); s.Stored != int64(b.N) {
		b.Fatalf("stored %d of %d events", s.Stored, b.N)
	}
}

// BenchmarkSetPayloadsJSONText is setPayloads of a result whose text is a JSON document (as
// many tools answer), escaped in the result's string, and whose words ("key", "token",
// "://") trigger built-in patterns that find nothing to redact.
func BenchmarkSetPayloadsJSONText(b *testing.B) {
	rec := benchRecorder(b, false) // setPayloads only: the shipper stays idle
	req := []byte(benchEvent().Request)
	text, _ := json.Marshal(map[string]any{"id": 1234, "number": 1234, "title": "Login button misaligned on Safari",
		"state": "open", "user": map[string]any{"login": "alice", "id": 42, "keyId": "k-7"}, "labels": []string{"bug", "ui"},
		"url": "https://api.github.com/repos/acme/web/issues/1234", "body": "Steps: open /login on Safari 17; the key icon overlaps the token field"})
	resp, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 7, "result": map[string]any{
		"content": []any{map[string]any{"type": "text", "text": string(text)}}}})
	b.ReportAllocs()
	for b.Loop() {
		var ev store.AuditEvent
		setPayloads(rec, &ev, req, resp)
	}
}
