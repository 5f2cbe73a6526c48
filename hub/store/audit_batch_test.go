package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// distinctEvent sets every field of event i to a value of its own, so that a column
// written to the wrong place, or a row split wrongly across statements, shows.
func distinctEvent(prefix string, i int) store.AuditEvent {
	f := func(name string) string { return fmt.Sprintf("%s-%s-%d", name, prefix, i) }
	return store.AuditEvent{ID: fmt.Sprintf("%s%06d", prefix, i), Time: t0.Add(time.Duration(i) * time.Millisecond),
		Kind: f("kind"), UserID: f("user"), KeyID: f("key"), Caller: f("caller"), Role: f("role"),
		Application: f("app"), Agent: f("agent"), Backend: f("backend"), Tool: f("tool"), Risk: f("risk"),
		Decision: f("decision"), Rule: f("rule"), Status: f("status"), Error: f("error"),
		Duration: time.Duration(i+1) * time.Microsecond, TraceID: f("trace"), RequestHash: f("reqhash"),
		ResponseHash: f("resphash"), Request: f("req"), Response: f("resp"), Action: f("action"),
		Target: f("target"), Detail: f("detail")}
}

// allAudit reads every stored event, oldest first.
func allAudit(t *testing.T, s store.Store) []store.AuditEvent {
	t.Helper()
	var out []store.AuditEvent
	q := store.AuditQuery{Limit: 1000}
	for {
		evs, next := query(t, s, q)
		out = append(out, evs...)
		if next == "" {
			break
		}
		q.Cursor = next
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// testAuditBatchSizes stores batches of sizes around the statement sizes (VALUES of 1…64
// rows; on PostgreSQL unnest from 32 rows, 1000 per statement) and reads every field of every
// row back.
func testAuditBatchSizes(t *testing.T, s store.Store) {
	var want []store.AuditEvent
	for _, n := range []int{1, 2, 3, 31, 32, 63, 64, 65, 127, 500, 1001} {
		batch := make([]store.AuditEvent, n)
		for i := range batch {
			batch[i] = distinctEvent(fmt.Sprintf("b%04d-", n), i)
		}
		insert(t, s, batch...)
		want = append(want, batch...)
	}
	got := allAudit(t, s)
	if len(got) != len(want) {
		t.Fatalf("stored %d events, want %d", len(got), len(want))
	}
	byID := map[string]store.AuditEvent{}
	for _, e := range got {
		byID[e.ID] = e
	}
	for _, w := range want {
		g, ok := byID[w.ID]
		if !ok {
			t.Fatalf("event %s missing", w.ID)
		}
		if !g.Time.Equal(w.Time) {
			t.Fatalf("event %s: time %s, want %s", w.ID, g.Time, w.Time)
		}
		g.Time = w.Time
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("event %s read back as\n%+v\nwant\n%+v", w.ID, g, w)
		}
	}
}

// testAuditBatchReplay replays a batch larger than any statement, shifted so that stored and
// new events share statements, with duplicates inside the batch: each event is stored once,
// and a replayed event never overwrites the stored one.
func testAuditBatchReplay(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := make([]store.AuditEvent, 1100)
	for i := range first {
		first[i] = distinctEvent("r", i)
	}
	insert(t, s, first...)
	var replay []store.AuditEvent
	for i := 550; i < 1650; i++ {
		e := distinctEvent("r", i)
		e.Status = "replayed"
		replay = append(replay, e)
		if i%97 == 0 {
			replay = append(replay, e) // the same event twice in one batch
		}
	}
	insert(t, s, replay...)
	insert(t, s, replay...) // and the whole batch again
	st, err := s.AuditStats(ctx, store.AuditQuery{})
	mustOK(t, err)
	if st.Total != 1650 || st.ByStatus["replayed"] != 550 {
		t.Fatalf("after replays: %d events, %d replayed; want 1650 and 550 (only the new ones)",
			st.Total, st.ByStatus["replayed"])
	}
}

// testAuditRepeatedText stores batches whose columns hold runs of equal texts (the SQLite
// insert binds a run's text once), runs that cross statements and batches, empty texts
// between them, and texts that must be cleaned (NUL, invalid UTF-8) repeated in a run; every
// field of every row reads back as it was, cleaned.
func testAuditRepeatedText(t *testing.T, s store.Store) {
	values := []string{"a", "a", "", "b\x00", "b\x00", "b\x00", "c\xff", "", "", "a"}
	clean := strings.NewReplacer("\x00", "\uFFFD", "\xff", "\uFFFD")
	var want []store.AuditEvent
	n := 0
	for _, size := range []int{150, 3, 64} {
		batch := make([]store.AuditEvent, size)
		for i := range batch {
			e := distinctEvent("rep", n)
			// Each column has its own phase in values, so runs start and end at other rows.
			p := reflect.ValueOf(&e).Elem()
			for f := range p.NumField() {
				if fv := p.Field(f); fv.Kind() == reflect.String && p.Type().Field(f).Name != "ID" {
					fv.SetString(values[(n/3+f)%len(values)])
				}
			}
			e.Kind = "call" // required
			batch[i] = e
			n++
		}
		insert(t, s, batch...)
		for _, e := range batch {
			p := reflect.ValueOf(&e).Elem()
			for f := range p.NumField() {
				if fv := p.Field(f); fv.Kind() == reflect.String {
					fv.SetString(clean.Replace(fv.String()))
				}
			}
			want = append(want, e)
		}
	}
	got := allAudit(t, s)
	if len(got) != len(want) {
		t.Fatalf("stored %d events, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) {
			t.Fatalf("row %d: time %s, want %s", i, g.Time, w.Time)
		}
		g.Time = w.Time
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("row %d read back as\n%+v\nwant\n%+v", i, g, w)
		}
	}
}
