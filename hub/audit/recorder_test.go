package audit_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

var quiet = slog.New(slog.DiscardHandler)

func open(t *testing.T, cfg audit.Config) *audit.Recorder {
	t.Helper()
	rec, err := audit.Open(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	return rec
}

// run starts rec.Run and stops it when the test ends.
func run(t *testing.T, rec *audit.Recorder) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// eventually polls cond (a condition on the Recorder's own state, not a server) until it
// holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func call(i int) *store.AuditEvent {
	return &store.AuditEvent{Kind: store.AuditCall, Tool: fmt.Sprintf("t%d", i), Status: "ok"}
}

func mustRecord(t *testing.T, rec *audit.Recorder, ev *store.AuditEvent) {
	t.Helper()
	if err := rec.Record(ev); err != nil {
		t.Fatal(err)
	}
}

func journalFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.jnl"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestConcurrentRecordsReachTheStore(t *testing.T) {
	st, dir := storetest.New(t), t.TempDir()
	// Small segments: the burst spans many files, each deleted once shipped.
	rec := open(t, audit.Config{Dir: dir, Store: st, SegmentBytes: 8 << 10, BatchSize: 50})
	run(t, rec)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				mustRecord(t, rec, call(g*1000+i))
			}
		}()
	}
	wg.Wait()
	eventually(t, "the shipper to store all events", func() bool { return rec.Stats().Pending == 0 })
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(storedIDs(t, st)); n != 2000 {
		t.Fatalf("store has %d events, want 2000", n)
	}
	if s := rec.Stats(); s.Recorded != 2000 || s.Stored != 2000 || s.Pending != 0 {
		t.Errorf("Stats = %+v", s)
	}
	if f := journalFiles(t, dir); len(f) != 0 {
		t.Errorf("journal files left after Close: %v", f)
	}
}

func TestCloseFlushesWithoutRun(t *testing.T) {
	st, dir := storetest.New(t), t.TempDir()
	rec := open(t, audit.Config{Dir: dir, Store: st, Fsync: true})
	ev := call(1)
	mustRecord(t, rec, ev)
	if len(ev.ID) != 26 || ev.Time.IsZero() || ev.Time.Location() != time.UTC {
		t.Errorf("Record did not fill in ID and Time: %+v", ev)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if !storedIDs(t, st)[ev.ID] {
		t.Fatal("Close did not ship the event")
	}
	if err := rec.Record(call(2)); !errors.Is(err, audit.ErrClosed) {
		t.Errorf("Record after Close = %v, want ErrClosed", err)
	}
	if err := rec.Admit(); !errors.Is(err, audit.ErrClosed) {
		t.Errorf("Admit after Close = %v, want ErrClosed", err)
	}
	if err := rec.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestReplayAfterCrashIsIdempotent(t *testing.T) {
	st, dir := storetest.New(t), t.TempDir()
	first, err := audit.Open(context.Background(), audit.Config{Dir: dir, Store: st}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var recorded []store.AuditEvent
	for i := range 30 {
		ev := call(i)
		mustRecord(t, first, ev)
		ids = append(ids, ev.ID)
		recorded = append(recorded, *ev)
	}
	// Ship a part, as a running hub would have, then "crash": first is abandoned unclosed.
	part := []store.AuditEvent{}
	evs, _, _ := st.QueryAudit(context.Background(), store.AuditQuery{})
	if len(evs) != 0 {
		t.Fatalf("events stored without Run or Close: %d", len(evs))
	}
	for _, ev := range recorded[:10] { // as the shipper stores them: same ID and time
		part = append(part, store.AuditEvent{ID: ev.ID, Time: ev.Time, Kind: "call"})
	}
	if err := st.InsertAudit(context.Background(), part); err != nil {
		t.Fatal(err)
	}

	audit.Abandon(first)
	second := open(t, audit.Config{Dir: dir, Store: st})
	if s := second.Stats(); s.Replayed != 30 || s.Corrupt != 0 {
		t.Errorf("Stats after replay = %+v, want 30 replayed", s)
	}
	stored := storedIDs(t, st) // fails the test on a duplicate
	for _, id := range ids {
		if !stored[id] {
			t.Errorf("event %s lost", id)
		}
	}
	if len(stored) != 30 {
		t.Errorf("store has %d events, want 30", len(stored))
	}
	if f := journalFiles(t, dir); len(f) != 1 {
		t.Errorf("after replay the journal should hold only the new active segment: %v", f)
	}
}

func TestTornAndDamagedRecordsAreSkipped(t *testing.T) {
	st, dir := storetest.New(t), t.TempDir()
	first, err := audit.Open(context.Background(), audit.Config{Dir: dir, Store: st}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 5 {
		ev := call(i)
		mustRecord(t, first, ev)
		ids = append(ids, ev.ID)
	}
	audit.Abandon(first)
	files := journalFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("journal files: %v", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// Damage the third record's body, then append half a record, as a crash mid-write would.
	lines := strings.SplitAfter(string(data), "\n")
	lines[3] = strings.Replace(lines[3], `"kind":"call"`, `"kind":"cal!"`, 1)
	torn := lines[1][:len(lines[1])/2]
	if err := os.WriteFile(files[0], []byte(strings.Join(lines, "")+torn), 0o600); err != nil {
		t.Fatal(err)
	}

	second := open(t, audit.Config{Dir: dir, Store: st})
	if s := second.Stats(); s.Corrupt != 2 || s.Replayed != 6 {
		t.Errorf("Stats = %+v, want 6 records replayed of which 2 corrupt", s)
	}
	stored := storedIDs(t, st)
	for i, id := range ids {
		if want := i != 2; stored[id] != want {
			t.Errorf("event %d stored = %v, want %v", i, stored[id], want)
		}
	}
}

// flaky is a real store whose inserts can be made to fail, as when the database is down.
type flaky struct {
	store.Store
	fail atomic.Bool
}

func (f *flaky) InsertAudit(ctx context.Context, evs []store.AuditEvent) error {
	if f.fail.Load() {
		return errors.New("database unreachable")
	}
	return f.Store.InsertAudit(ctx, evs)
}

func TestFullQueueRefusesThenRecovers(t *testing.T) {
	st := &flaky{Store: storetest.New(t)}
	st.fail.Store(true)
	rec := open(t, audit.Config{Dir: t.TempDir(), Store: st, QueueSize: 16, FlushInterval: 10 * time.Millisecond})
	run(t, rec)
	if err := rec.Admit(); err != nil {
		t.Fatalf("Admit on an empty queue = %v", err)
	}
	accepted := 0
	for ; accepted < 100; accepted++ {
		if err := rec.Record(call(accepted)); errors.Is(err, audit.ErrFull) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	// Admit refuses at QueueSize; Record keeps a little headroom for calls already admitted.
	if accepted < 16 || accepted > 20 {
		t.Errorf("Record accepted %d events with QueueSize 16", accepted)
	}
	if err := rec.Admit(); !errors.Is(err, audit.ErrFull) {
		t.Errorf("Admit with a full queue = %v, want ErrFull", err)
	}
	st.fail.Store(false)
	eventually(t, "the backlog to drain", func() bool { return rec.Stats().Pending == 0 })
	if err := rec.Admit(); err != nil {
		t.Errorf("Admit after recovery = %v", err)
	}
	mustRecord(t, rec, call(1000))
	if s := rec.Stats(); s.Full != 1 {
		t.Errorf("Stats.Full = %d, want 1", s.Full)
	}
}

func TestDropModeAdmitsWhenFull(t *testing.T) {
	st := &flaky{Store: storetest.New(t)}
	st.fail.Store(true)
	rec := open(t, audit.Config{Dir: t.TempDir(), Store: st, QueueSize: 4, Drop: true})
	for i := range 4 {
		mustRecord(t, rec, call(i))
	}
	if err := rec.Record(call(5)); !errors.Is(err, audit.ErrFull) {
		t.Errorf("Record beyond QueueSize in drop mode = %v, want ErrFull", err)
	}
	if err := rec.Admit(); err != nil {
		t.Errorf("Admit in drop mode = %v, want nil", err)
	}
	// The store is still down at Close: the events stay in the journal, and Close says so.
	if err := rec.Close(); err == nil || !strings.Contains(err.Error(), "4 events stay in the journal") {
		t.Errorf("Close with the store down = %v", err)
	}
}

func TestRetentionDeletesOldEvents(t *testing.T) {
	st := storetest.New(t)
	old := time.Now().Add(-48 * time.Hour)
	if err := st.InsertAudit(context.Background(), []store.AuditEvent{
		{ID: "old", Time: old, Kind: "call"}, {ID: "recent", Time: time.Now().Add(-time.Hour), Kind: "call"},
	}); err != nil {
		t.Fatal(err)
	}
	rec := open(t, audit.Config{Dir: t.TempDir(), Store: st, RetainFor: 24 * time.Hour})
	run(t, rec)
	eventually(t, "retention", func() bool { return !storedIDs(t, st)["old"] })
	if !storedIDs(t, st)["recent"] {
		t.Error("retention deleted an event younger than RetainFor")
	}
}

func TestRecordBoundsAndRedactsFields(t *testing.T) {
	st := storetest.New(t)
	rec := open(t, audit.Config{Dir: t.TempDir(), Store: st, MaxPayloadBytes: 256})
	ev := &store.AuditEvent{Kind: store.AuditCall,
		Error:   "upstream refused key mcpgw_abcdefghijklmnopqrstuvwx " + strings.Repeat("x", 1000),
		Request: strings.Repeat("y", 5000), Detail: `{"ok":true}`}
	setPayloads(rec, ev, []byte(`{"password":"hunter2","q":"hi"}`), nil)
	mustRecord(t, rec, ev)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	evs, _, err := st.QueryAudit(context.Background(), store.AuditQuery{})
	if err != nil || len(evs) != 1 {
		t.Fatal(evs, err)
	}
	got := evs[0]
	if strings.Contains(got.Error, "mcpgw_abc") || len(got.Error) > 256 {
		t.Errorf("Error not redacted and bounded: %q", got.Error)
	}
	if got.Request != `{"password":"[REDACTED]","q":"hi"}` || got.RequestHash != audit.Hash([]byte(`{"password":"hunter2","q":"hi"}`)) {
		t.Errorf("Request %q, hash %q", got.Request, got.RequestHash)
	}
	if got.Response != "" || got.ResponseHash != "" || got.Detail != `{"ok":true}` {
		t.Errorf("Response %q / %q, Detail %q", got.Response, got.ResponseHash, got.Detail)
	}
}

func TestOpenValidates(t *testing.T) {
	st := storetest.New(t)
	for _, c := range []struct {
		cfg  audit.Config
		want string
	}{
		{audit.Config{Store: st}, "Dir is empty"},
		{audit.Config{Dir: t.TempDir()}, "Store is nil"},
		{audit.Config{Dir: t.TempDir(), Store: st, QueueSize: -1}, "must not be negative"},
		{audit.Config{Dir: t.TempDir(), Store: st, RetainFor: -time.Hour}, "must not be negative"},
		{audit.Config{Dir: t.TempDir(), Store: st, RedactPatterns: []string{"("}}, `redact pattern "("`},
	} {
		if _, err := audit.Open(context.Background(), c.cfg, quiet); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
	rec := open(t, audit.Config{Dir: t.TempDir(), Store: st})
	if err := rec.Record(&store.AuditEvent{}); err == nil {
		t.Error("Record of an event without a kind succeeded")
	}
}

func TestOneRecorderPerDirectory(t *testing.T) {
	st, dir := storetest.New(t), t.TempDir()
	first := open(t, audit.Config{Dir: dir, Store: st})
	if _, err := audit.Open(context.Background(), audit.Config{Dir: dir, Store: st}, quiet); !errors.Is(err, audit.ErrJournalInUse) {
		t.Fatalf("second Open on the same directory = %v, want ErrJournalInUse", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, audit.Config{Dir: dir, Store: st}) // free again after Close
}

// Sync returns once the events recorded before it are in the store.
func TestSyncReadsYourWrites(t *testing.T) {
	st := storetest.New(t)
	rec, err := audit.Open(context.Background(), audit.Config{Dir: t.TempDir(), Store: st, BatchDelay: 50 * time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	defer func() { cancel(); <-done; rec.Close() }()
	for i := range 20 {
		if err := rec.Record(&store.AuditEvent{Kind: "call", Tool: fmt.Sprintf("t%d", i), Status: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := rec.Sync(sctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := st.QueryAudit(context.Background(), store.AuditQuery{Limit: 100})
	if err != nil || len(evs) != 20 {
		t.Fatalf("after Sync the store holds %d events (%v), want 20", len(evs), err)
	}
}
