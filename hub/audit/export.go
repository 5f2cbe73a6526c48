package audit

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// WriteJSONL writes events as JSON lines, one JSONEvent per line.
func WriteJSONL(w io.Writer, events []store.AuditEvent) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range events {
		je := NewJSONEvent(&events[i])
		if err := enc.Encode(&je); err != nil {
			return fmt.Errorf("export audit event %s: %w", events[i].ID, err)
		}
	}
	return nil
}

// Export writes every event q selects as JSON lines, newest first, following cursors page
// by page (q.Limit is the page size), so memory stays bounded. It returns the count written.
func Export(ctx context.Context, w io.Writer, st store.Audit, q store.AuditQuery) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	n := 0
	for {
		evs, next, err := st.QueryAudit(ctx, q)
		if err != nil {
			return n, fmt.Errorf("export audit: %w", err)
		}
		if err := WriteJSONL(bw, evs); err != nil {
			return n, err
		}
		n += len(evs)
		if next == "" {
			break
		}
		q.Cursor = next
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("export audit: %w", err)
	}
	return n, nil
}

// CSVHeader is the first row of WriteCSV's output: the JSON export's fields, in its order,
// with the duration in milliseconds.
var CSVHeader = []string{"id", "time", "kind", "user_id", "key_id", "caller", "role", "application", "agent",
	"backend", "tool", "risk", "decision", "rule", "status", "error", "duration_ms", "trace_id",
	"request_hash", "response_hash", "request", "response", "action", "target", "detail"}

// WriteCSV writes events as CSV rows (RFC 4180) in CSVHeader's columns; the caller writes
// the header once. A cell that a spreadsheet would take for a formula (it starts with =, +,
// -, @, tab or carriage return) gets a leading apostrophe: audit fields carry text chosen by
// clients and backends (tool names, errors), and an exported file must not run it.
func WriteCSV(w *csv.Writer, events []store.AuditEvent) error {
	row := make([]string, len(CSVHeader))
	for i := range events {
		e := NewJSONEvent(&events[i])
		dur := ""
		if e.DurationNS > 0 {
			dur = strconv.FormatFloat(float64(e.DurationNS)/1e6, 'f', 3, 64)
		}
		vals := [...]string{e.ID, e.Time.Format(time.RFC3339Nano), e.Kind, e.UserID, e.KeyID, e.Caller, e.Role,
			e.Application, e.Agent, e.Backend, e.Tool, e.Risk, e.Decision, e.Rule, e.Status, e.Error, dur,
			e.TraceID, e.RequestHash, e.ResponseHash, e.Request, e.Response, e.Action, e.Target, e.Detail}
		for j, v := range vals {
			row[j] = csvCell(v)
		}
		if err := w.Write(row); err != nil {
			return fmt.Errorf("export audit event %s: %w", e.ID, err)
		}
	}
	w.Flush()
	return w.Error()
}

func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
