package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

var idForm = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

func TestNewIDIsTimeOrderedAndUnique(t *testing.T) {
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	var ids []string
	for i := range 20000 {
		id := audit.NewID(base.Add(time.Duration(i/10) * time.Millisecond))
		if !idForm.MatchString(id) {
			t.Fatalf("NewID = %q, not 26 Crockford base32 digits", id)
		}
		if seen[id] {
			t.Fatalf("duplicate ID %s", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	// Sorting by text must keep millisecond order.
	sorted := append([]string{}, ids...)
	sort.Strings(sorted)
	for i := 10; i < len(ids); i += 10 {
		if ids[i-10][:10] >= ids[i][:10] {
			t.Fatalf("time prefix not increasing: %s then %s", ids[i-10], ids[i])
		}
	}
	for i := range sorted {
		if sorted[i][:10] != ids[i][:10] {
			t.Fatalf("text order differs from time order at %d", i)
		}
	}
	// The Unix epoch and the far future stay in range.
	if got := audit.NewID(time.UnixMilli(0)); !strings.HasPrefix(got, "0000000000") {
		t.Errorf("NewID(epoch) = %s", got)
	}
	if a, b := audit.NewID(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)), audit.NewID(base); a <= b {
		t.Errorf("an ID from 2100 (%s) sorts before one from 2026 (%s)", a, b)
	}
}

func TestTraceID(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	if got := audit.TraceID(tp); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("TraceID(valid) = %q", got)
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, bad := range []string{"", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"} {
		got := audit.TraceID(bad)
		if !hex32.MatchString(got) || got == "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("TraceID(%q) = %q, want a fresh random id", bad, got)
		}
	}
	now := time.Now()
	if audit.NewTraceID(now) == audit.NewTraceID(now) {
		t.Error("NewTraceID repeats")
	}
	// Made trace ids sort by time, so that the store's trace index appends.
	a := audit.NewTraceID(now)
	if b := audit.NewTraceID(now.Add(2 * time.Millisecond)); a[:12] >= b[:12] || !hex32.MatchString(b) {
		t.Errorf("trace id %s, made 2 ms after %s, does not sort after it", b, a)
	}
}

func TestHash(t *testing.T) {
	if got := audit.Hash([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Hash(abc) = %s", got)
	}
	if audit.Hash(nil) != "" {
		t.Error("Hash(nil) is not empty")
	}
}

func TestExportFollowsCursors(t *testing.T) {
	st := storetest.New(t)
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var evs []store.AuditEvent
	for i := range 250 {
		at := base.Add(time.Duration(i) * time.Second)
		evs = append(evs, store.AuditEvent{ID: audit.NewID(at), Time: at, Kind: "call", Tool: "t", Request: `{"a":"<b>"}`})
	}
	if err := st.InsertAudit(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := audit.Export(context.Background(), &buf, st, store.AuditQuery{Limit: 100, Tool: "t"})
	if err != nil || n != 250 {
		t.Fatalf("Export = %d, %v", n, err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 250 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		var je audit.JSONEvent
		if err := json.Unmarshal([]byte(l), &je); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if want := evs[249-i].ID; je.ID != want || je.Request != `{"a":"<b>"}` {
			t.Fatalf("line %d = %s, want event %s newest first", i, l, want)
		}
	}
	if !strings.Contains(lines[0], `"request":"{\"a\":\"<b>\"}"`) || strings.Contains(lines[0], "user_id") {
		t.Errorf("export line form: %s", lines[0])
	}
	if _, err := audit.Export(context.Background(), &buf, st, store.AuditQuery{Cursor: "%%"}); err == nil {
		t.Error("Export with a bad cursor succeeded")
	}
}

// FuzzTraceID holds TraceID to its reading of a traceparent with strings.Split: the id of
// one whose first four parts are valid (more parts may follow), else a fresh id.
func FuzzTraceID(f *testing.F) {
	for _, s := range []string{"", "-", "---", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra ", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"} {
		f.Add(s)
	}
	isHex := func(s string) bool { return strings.Trim(s, "0123456789abcdef") == "" }
	f.Fuzz(func(t *testing.T, s string) {
		parts := strings.Split(strings.TrimSpace(s), "-")
		valid := len(parts) >= 4 && len(parts[0]) == 2 && parts[0] != "ff" && isHex(parts[0]) &&
			len(parts[1]) == 32 && isHex(parts[1]) && strings.Trim(parts[1], "0") != "" &&
			len(parts[2]) == 16 && isHex(parts[2]) && len(parts[3]) == 2 && isHex(parts[3])
		got := audit.TraceID(s)
		switch {
		case valid && got != parts[1]:
			t.Fatalf("TraceID(%q) = %q, want %q", s, got, parts[1])
		case !valid && len(parts) > 1 && got == parts[1]:
			t.Fatalf("TraceID(%q) = %q, want a fresh id", s, got)
		}
	})
}
