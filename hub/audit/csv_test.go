package audit_test

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// A field a spreadsheet would run as a formula is exported as text; ordinary fields and
// fields with commas, quotes and newlines come back exactly.
func TestWriteCSVDefusesFormulas(t *testing.T) {
	evs := []store.AuditEvent{{ID: "ev1", Time: time.Date(2026, 12, 6, 1, 2, 3, 0, time.UTC), Kind: "call",
		Tool: "=HYPERLINK(\"http://x\")", Error: "a, \"quoted\"\nline", Caller: "-1+2", Application: "@app",
		Agent: "laptop", Duration: 1500 * time.Microsecond}}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := audit.WriteCSV(w, evs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 1 || len(rows[0]) != len(audit.CSVHeader) {
		t.Fatalf("rows %v, %v", rows, err)
	}
	col := func(name string) string {
		for i, h := range audit.CSVHeader {
			if h == name {
				return rows[0][i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	for name, want := range map[string]string{"tool": "'=HYPERLINK(\"http://x\")", "caller": "'-1+2", "application": "'@app",
		"error": "a, \"quoted\"\nline", "agent": "laptop", "duration_ms": "1.500", "time": "2026-12-06T01:02:03Z", "id": "ev1"} {
		if got := col(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
