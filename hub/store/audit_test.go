package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

var auditSuite = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"RoundTrip", testAuditRoundTrip},
	{"InsertIsIdempotent", testAuditIdempotent},
	{"InsertBatchSizes", testAuditBatchSizes},
	{"InsertBatchReplay", testAuditBatchReplay},
	{"InsertRepeatedText", testAuditRepeatedText},
	{"InsertValidates", testAuditValidates},
	{"InsertOddText", testAuditOddText},
	{"PagingNewestFirst", testAuditPaging},
	{"Filters", testAuditFilters},
	{"BadCursor", testAuditBadCursor},
	{"Stats", testAuditStats},
	{"Usage", testAuditUsage},
	{"UsageErrors", testAuditUsageErrors},
	{"DeleteBefore", testAuditDeleteBefore},
}

func TestAudit(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range auditSuite {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, storetest.Open(t, b.config(t)))
				})
			}
		})
	}
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func ev(id string, at time.Time, mods ...func(*store.AuditEvent)) store.AuditEvent {
	e := store.AuditEvent{ID: id, Time: at, Kind: store.AuditCall, Status: "ok", Decision: "allow"}
	for _, m := range mods {
		m(&e)
	}
	return e
}

func insert(t *testing.T, s store.Store, evs ...store.AuditEvent) {
	t.Helper()
	mustOK(t, s.InsertAudit(context.Background(), evs))
}

func query(t *testing.T, s store.Store, q store.AuditQuery) ([]store.AuditEvent, string) {
	t.Helper()
	evs, next, err := s.QueryAudit(context.Background(), q)
	mustOK(t, err)
	return evs, next
}

func ids(evs []store.AuditEvent) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func testAuditRoundTrip(t *testing.T, s store.Store) {
	full := store.AuditEvent{
		ID: "01J0000000000000000000000A", Time: time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("x", 3600)),
		Kind: store.AuditCall, UserID: "usr_1", KeyID: "key_1", Caller: "alice", Role: "viewer",
		Application: "cursor", Agent: "laptop", Backend: "github", Tool: "create_issue", Risk: "write",
		Decision: "allow", Rule: "allow-github", Status: "error", Error: "backend said no",
		Duration: 1234567 * time.Nanosecond, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		RequestHash: "aa", ResponseHash: "bb", Request: `{"a":1}`, Response: `{"b":"ü"}`,
		Action: "keys.revoke", Target: "key_9", Detail: `{"why":"test"}`,
	}
	insert(t, s, full)
	got, next := query(t, s, store.AuditQuery{})
	want := full
	want.Time = full.Time.UTC().Truncate(time.Microsecond)
	if len(got) != 1 || next != "" || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("QueryAudit = %+v, %q\nwant %+v", got, next, want)
	}
}

func testAuditIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	var batch []store.AuditEvent
	for i := range 450 { // more than one INSERT statement's worth of rows
		batch = append(batch, ev(fmt.Sprintf("e%04d", i), t0.Add(time.Duration(i)*time.Millisecond)))
	}
	insert(t, s, batch...)
	// A replay of the same events, one changed, plus a new one and a duplicate within the batch.
	replay := append([]store.AuditEvent{}, batch[100:300]...)
	replay[0].Status = "error"
	replay = append(replay, ev("new", t0), ev("new", t0))
	insert(t, s, replay...)
	st, err := s.AuditStats(ctx, store.AuditQuery{})
	mustOK(t, err)
	if st.Total != 451 || st.ByStatus["error"] != 0 {
		t.Fatalf("after replay: %+v, want 451 events, none changed to error", st)
	}
}

func testAuditValidates(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, e := range []store.AuditEvent{{Time: t0, Kind: "call"}, {ID: "x", Kind: "call"}, {ID: "x", Time: t0}} {
		if err := s.InsertAudit(ctx, []store.AuditEvent{ev("ok", t0), e}); err == nil {
			t.Errorf("InsertAudit(%+v) = nil, want an error", e)
		}
	}
	if evs, _ := query(t, s, store.AuditQuery{}); len(evs) != 0 {
		t.Errorf("a refused batch stored %v", ids(evs))
	}
}

func testAuditPaging(t *testing.T, s store.Store) {
	// Several events share a timestamp, so the cursor must break ties by ID.
	var all []store.AuditEvent
	for i := range 23 {
		all = append(all, ev(fmt.Sprintf("e%02d", i), t0.Add(time.Duration(i/3)*time.Second)))
	}
	insert(t, s, all...)
	var got []string
	cursor, pages := "", 0
	for {
		evs, next := query(t, s, store.AuditQuery{Limit: 5, Cursor: cursor})
		got = append(got, ids(evs)...)
		pages++
		if next == "" {
			break
		}
		cursor = next
	}
	var want []string
	for i := 22; i >= 0; i-- {
		want = append(want, fmt.Sprintf("e%02d", i))
	}
	if !reflect.DeepEqual(got, want) || pages != 5 {
		t.Fatalf("pages %d, ids %v\nwant %v", pages, got, want)
	}
	if evs, next := query(t, s, store.AuditQuery{Limit: 23}); len(evs) != 23 || next != "" {
		t.Errorf("an exact last page: %d events, next %q", len(evs), next)
	}
	if evs, _ := query(t, s, store.AuditQuery{Limit: -1}); len(evs) != 23 {
		t.Errorf("Limit -1 (default 100) returned %d", len(evs))
	}
}

func testAuditFilters(t *testing.T, s store.Store) {
	insert(t, s,
		ev("a", t0, func(e *store.AuditEvent) { e.UserID, e.Tool, e.Agent, e.Backend = "u1", "read", "lap", "fs" }),
		ev("b", t0.Add(time.Minute), func(e *store.AuditEvent) { e.UserID, e.Application, e.KeyID = "u2", "cursor", "key_b" }),
		ev("c", t0.Add(2*time.Minute), func(e *store.AuditEvent) {
			e.Kind, e.Status, e.Decision, e.UserID, e.TraceID = store.AuditDenied, "denied", "deny", "u1", "tr"
		}),
	)
	for _, c := range []struct {
		q    store.AuditQuery
		want []string
	}{
		{store.AuditQuery{UserID: "u1"}, []string{"c", "a"}},
		{store.AuditQuery{UserID: "u1", Kind: "call"}, []string{"a"}},
		{store.AuditQuery{Tool: "read", Agent: "lap", Backend: "fs"}, []string{"a"}},
		{store.AuditQuery{Agent: "other"}, []string{}},
		{store.AuditQuery{Status: "denied"}, []string{"c"}},
		{store.AuditQuery{Decision: "allow"}, []string{"b", "a"}},
		{store.AuditQuery{Application: "cursor"}, []string{"b"}},
		{store.AuditQuery{TraceID: "tr"}, []string{"c"}},
		{store.AuditQuery{KeyID: "key_b"}, []string{"b"}},
		{store.AuditQuery{KeyID: "key_other"}, []string{}},
		{store.AuditQuery{From: t0.Add(time.Minute)}, []string{"c", "b"}},
		{store.AuditQuery{To: t0.Add(time.Minute)}, []string{"a"}},
		{store.AuditQuery{From: t0, To: t0.Add(2 * time.Minute)}, []string{"b", "a"}},
	} {
		if evs, _ := query(t, s, c.q); !reflect.DeepEqual(ids(evs), c.want) {
			t.Errorf("QueryAudit(%+v) = %v, want %v", c.q, ids(evs), c.want)
		}
	}
}

func testAuditBadCursor(t *testing.T, s store.Store) {
	for _, c := range []string{"!!", "bm90LWEtY3Vyc29y", "MTIzOg", "eDox"} { // not base64, "not-a-cursor", "123:", "x:1"
		_, _, err := s.QueryAudit(context.Background(), store.AuditQuery{Cursor: c})
		if !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("cursor %q: err = %v, want ErrBadCursor", c, err)
		}
	}
}

func testAuditStats(t *testing.T, s store.Store) {
	insert(t, s,
		ev("a", t0, func(e *store.AuditEvent) { e.UserID = "u1" }),
		ev("b", t0, func(e *store.AuditEvent) { e.UserID, e.Status = "u1", "error" }),
		ev("c", t0, func(e *store.AuditEvent) { e.Kind, e.Status, e.Decision = store.AuditDenied, "denied", "deny" }),
		ev("d", t0, func(e *store.AuditEvent) { e.Kind, e.Status, e.Decision = store.AuditAdmin, "ok", "" }),
	)
	st, err := s.AuditStats(context.Background(), store.AuditQuery{})
	mustOK(t, err)
	want := store.AuditStats{Total: 4,
		ByStatus:   map[string]int64{"ok": 2, "error": 1, "denied": 1},
		ByDecision: map[string]int64{"allow": 2, "deny": 1, "": 1},
		ByKind:     map[string]int64{"call": 2, "denied": 1, "admin": 1}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("AuditStats = %+v\nwant %+v", st, want)
	}
	st, err = s.AuditStats(context.Background(), store.AuditQuery{UserID: "u1", Cursor: "ignored", Limit: 1})
	mustOK(t, err)
	if st.Total != 2 || st.ByStatus["error"] != 1 {
		t.Errorf("AuditStats(u1) = %+v", st)
	}
}

func testAuditUsage(t *testing.T, s store.Store) {
	call := func(id string, at time.Time, user, tool, status string, d time.Duration) store.AuditEvent {
		return ev(id, at, func(e *store.AuditEvent) {
			e.UserID, e.Tool, e.Status, e.Duration = user, tool, status, d
			if status == "denied" {
				e.Kind = store.AuditDenied
			}
		})
	}
	insert(t, s,
		call("1", t0.Add(5*time.Minute), "u1", "read", "ok", 10*time.Millisecond),
		call("2", t0.Add(59*time.Minute), "u1", "read", "error", 30*time.Millisecond),
		call("3", t0.Add(30*time.Minute), "u2", "read", "denied", time.Hour), // a denial's time is not a call's
		call("4", t0.Add(61*time.Minute), "u2", "write", "ok", 4*time.Millisecond),
		call("5", t0.Add(70*time.Minute), "u1", "read", "ok", 2*time.Millisecond),
		ev("admin", t0, func(e *store.AuditEvent) { e.Kind, e.Tool = store.AuditAdmin, "read" }),
	)
	ctx := context.Background()
	rows, err := s.AuditUsage(ctx, store.UsageQuery{})
	mustOK(t, err)
	want := []store.UsageRow{
		{Bucket: t0, Key: "read", Calls: 3, Errors: 1, Denied: 1, AvgDuration: 20 * time.Millisecond},
		{Bucket: t0.Add(time.Hour), Key: "read", Calls: 1, AvgDuration: 2 * time.Millisecond},
		{Bucket: t0.Add(time.Hour), Key: "write", Calls: 1, AvgDuration: 4 * time.Millisecond},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("usage by tool, hourly:\n got %+v\nwant %+v", rows, want)
	}
	rows, err = s.AuditUsage(ctx, store.UsageQuery{By: store.UsageByUser, Bucket: 24 * time.Hour, From: t0.Add(time.Minute), To: t0.Add(65 * time.Minute)})
	mustOK(t, err)
	day := t0.Truncate(24 * time.Hour)
	want = []store.UsageRow{
		{Bucket: day, Key: "u1", Calls: 2, Errors: 1, AvgDuration: 20 * time.Millisecond},
		{Bucket: day, Key: "u2", Calls: 2, Denied: 1, AvgDuration: 4 * time.Millisecond},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("usage by user, daily, windowed:\n got %+v\nwant %+v", rows, want)
	}
	rows, err = s.AuditUsage(ctx, store.UsageQuery{By: store.UsageByTool, UserID: "u2", Bucket: 24 * time.Hour})
	mustOK(t, err)
	if len(rows) != 2 || rows[0].Key != "read" || rows[0].Denied != 1 || rows[1].Key != "write" {
		t.Errorf("usage of u2 = %+v", rows)
	}
}

func testAuditUsageErrors(t *testing.T, s store.Store) {
	for _, q := range []store.UsageQuery{{By: "password"}, {Bucket: time.Millisecond}, {Bucket: 1500 * time.Millisecond}, {Bucket: -time.Hour}} {
		if _, err := s.AuditUsage(context.Background(), q); err == nil {
			t.Errorf("AuditUsage(%+v) = nil error", q)
		}
	}
}

func testAuditDeleteBefore(t *testing.T, s store.Store) {
	ctx := context.Background()
	var batch []store.AuditEvent
	for i := range 5003 { // more than one DELETE's worth
		batch = append(batch, ev(fmt.Sprintf("old%05d", i), t0.Add(-time.Duration(i+1)*time.Second)))
	}
	batch = append(batch, ev("edge", t0), ev("new", t0.Add(time.Hour)))
	insert(t, s, batch...)
	n, err := s.DeleteAuditBefore(ctx, t0)
	mustOK(t, err)
	if n != 5003 {
		t.Errorf("DeleteAuditBefore = %d, want 5003", n)
	}
	if evs, _ := query(t, s, store.AuditQuery{}); !reflect.DeepEqual(ids(evs), []string{"new", "edge"}) {
		t.Errorf("left %v, want [new edge]", ids(evs))
	}
	if n, err := s.DeleteAuditBefore(ctx, t0); err != nil || n != 0 {
		t.Errorf("second DeleteAuditBefore = %d, %v", n, err)
	}
}

// Text PostgreSQL cannot store (NUL, invalid UTF-8) must not make a batch fail forever: the
// shipper would retry it until the queue filled and the gateway refused every call.
func testAuditOddText(t *testing.T, s store.Store) {
	insert(t, s, ev("odd", t0, func(e *store.AuditEvent) {
		e.Error, e.Tool, e.Request = "nul\x00byte", "bad\xffutf8", "ok ü"
	}))
	evs, _ := query(t, s, store.AuditQuery{})
	if len(evs) != 1 || evs[0].Error != "nul\uFFFDbyte" || evs[0].Tool != "bad\uFFFDutf8" || evs[0].Request != "ok ü" {
		t.Errorf("stored %q %q %q", evs[0].Error, evs[0].Tool, evs[0].Request)
	}
}
