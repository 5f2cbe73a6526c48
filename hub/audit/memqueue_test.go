package audit_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// richCall is an event with every field set, including bytes that are not UTF-8, so that
// what the shipper takes from memory can be compared with what it decodes from the journal.
func richCall(i int) *store.AuditEvent {
	return &store.AuditEvent{Kind: store.AuditCall, UserID: "u1", KeyID: "k1", Caller: "alice\xff\xfe",
		Role: "admin", Application: "app", Agent: "a1", Backend: "b1", Tool: fmt.Sprintf("t%d", i),
		Risk: "low", Decision: "allow", Rule: "r1", Status: "error", Error: "boom \x00 \xc3",
		Duration: time.Duration(i) * time.Microsecond, TraceID: fmt.Sprintf("%032x", i),
		RequestHash: "rh", ResponseHash: "sh", Request: `{"a":"\u2028 é"}`, Response: "{}",
		Action: "act", Target: "tgt", Detail: "d\u2029"}
}

func allEvents(t *testing.T, st store.Store) map[string]store.AuditEvent {
	t.Helper()
	out := map[string]store.AuditEvent{}
	q := store.AuditQuery{Limit: 1000}
	for {
		evs, next, err := st.QueryAudit(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if _, dup := out[e.ID]; dup {
				t.Fatalf("event %s stored twice", e.ID)
			}
			out[e.ID] = e
		}
		if next == "" {
			return out
		}
		q.Cursor = next
	}
}

// The events a running hub records reach the store from memory: the shipper reads nothing
// back from the journal.
func TestShipperTakesEventsFromMemory(t *testing.T) {
	st, dir := storetest.New(t), t.TempDir()
	rec := open(t, audit.Config{Dir: dir, Store: st, SegmentBytes: 8 << 10, BatchSize: 40})
	run(t, rec)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				mustRecord(t, rec, call(g*1000+i))
			}
		}()
	}
	wg.Wait()
	eventually(t, "the shipper to store all events", func() bool { return rec.Stats().Pending == 0 })
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(allEvents(t, st)); n != 400 {
		t.Fatalf("store has %d events, want 400", n)
	}
	if s := rec.Stats(); s.ReadBack != 0 || s.Stored != 400 {
		t.Errorf("Stats = %+v, want 400 stored and none read back", s)
	}
	if f := journalFiles(t, dir); len(f) != 0 {
		t.Errorf("journal files left after Close: %v", f)
	}
}

// An event stored from memory is the event a replay of the journal stores: same fields,
// same bytes (invalid UTF-8 becomes U+FFFD the same way on both paths).
func TestMemoryAndJournalStoreTheSameEvent(t *testing.T) {
	viaMemory, viaJournal := storetest.New(t), storetest.New(t)
	var evs []*store.AuditEvent
	for i := range 20 {
		evs = append(evs, richCall(i))
	}
	rec := open(t, audit.Config{Dir: t.TempDir(), Store: viaMemory})
	for _, ev := range evs {
		mustRecord(t, rec, ev)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if s := rec.Stats(); s.ReadBack != 0 {
		t.Fatalf("memory path read %d events back", s.ReadBack)
	}
	dir := t.TempDir()
	rec = open(t, audit.Config{Dir: dir, Store: viaJournal, MemoryQueueBytes: -1})
	for _, ev := range evs {
		cp := *ev // same ID and time: Record keeps them
		mustRecord(t, rec, &cp)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if s := rec.Stats(); s.ReadBack != 20 {
		t.Fatalf("journal path read %d events back, want 20", s.ReadBack)
	}
	a, b := allEvents(t, viaMemory), allEvents(t, viaJournal)
	if len(a) != 20 || !reflect.DeepEqual(a, b) {
		t.Fatalf("memory and journal paths stored different events:\n%v\n%v", a, b)
	}
	for _, e := range a {
		if e.Caller != "alice\ufffd\ufffd" || e.Error != "boom \x00 \ufffd" && e.Error != "boom \ufffd \ufffd" {
			t.Errorf("stored caller %q error %q", e.Caller, e.Error)
		}
	}
}

// A memory queue too small for the backlog: the shipper reads the writes it could not keep
// from the journal and the rest from memory, each event stored once, in order.
func TestFullMemoryQueueFallsBackToTheJournal(t *testing.T) {
	st := &flaky{Store: storetest.New(t)}
	st.fail.Store(true) // a backlog builds while the store is down
	dir := t.TempDir()
	rec := open(t, audit.Config{Dir: dir, Store: st, MemoryQueueBytes: 4 << 10, SegmentBytes: 16 << 10,
		BatchSize: 7, FlushInterval: 10 * time.Millisecond})
	run(t, rec)
	var ids []string
	for i := range 300 {
		ev := richCall(i)
		mustRecord(t, rec, ev)
		ids = append(ids, ev.ID)
	}
	st.fail.Store(false)
	eventually(t, "the backlog to drain", func() bool { return rec.Stats().Pending == 0 })
	// Now the queue has room again: new events (≈ 130 bytes each, fewer than 4 KiB) come
	// from memory.
	before := rec.Stats().ReadBack
	for i := range 20 {
		ev := call(1000 + i)
		mustRecord(t, rec, ev)
		ids = append(ids, ev.ID)
	}
	if err := rec.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := rec.Stats()
	if before == 0 || before >= 300 {
		t.Errorf("read back %d of 300 events with a 4 KiB memory queue; want some, not all", before)
	}
	if s.ReadBack != before {
		t.Errorf("events recorded after the backlog drained were read back (%d → %d)", before, s.ReadBack)
	}
	stored := allEvents(t, st)
	for _, id := range ids {
		if _, ok := stored[id]; !ok {
			t.Errorf("event %s lost", id)
		}
	}
	if len(stored) != len(ids) {
		t.Errorf("store has %d events, want %d", len(stored), len(ids))
	}
}

// Events journaled but not shipped when the process dies (kill -9: the memory queue is
// gone) are read from the journal at the next Open, each stored once.
func TestJournaledNotShippedAreReplayed(t *testing.T) {
	st, dir := storetest.New(t), t.TempDir()
	first, err := audit.Open(context.Background(), audit.Config{Dir: dir, Store: st}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 40 {
		ev := richCall(i)
		mustRecord(t, first, ev)
		ids = append(ids, ev.ID)
	}
	// Ship the first events from memory, as a running hub does, then stop the shipper and
	// record more.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()
	eventually(t, "the shipper to store the first events", func() bool { return first.Stats().Pending == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		ev := richCall(100 + i)
		mustRecord(t, first, ev)
		ids = append(ids, ev.ID)
	}
	if s := first.Stats(); s.ReadBack != 0 || s.Pending != 25 {
		t.Fatalf("before the crash: %+v, want 25 pending and none read back", s)
	}
	audit.Abandon(first)

	second := open(t, audit.Config{Dir: dir, Store: st})
	// The replay reads the whole journal (what was stored before the crash too: the store
	// ignores an event it has).
	if s := second.Stats(); s.Replayed != 65 || s.ReadBack != 65 {
		t.Errorf("Stats after the restart = %+v, want the journal's 65 events replayed", s)
	}
	stored := allEvents(t, st)
	for _, id := range ids {
		if _, ok := stored[id]; !ok {
			t.Errorf("event %s lost", id)
		}
	}
	if len(stored) != 65 {
		t.Errorf("store has %d events, want 65", len(stored))
	}
}
