package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

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
