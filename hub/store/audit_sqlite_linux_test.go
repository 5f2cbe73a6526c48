package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// openFiles is how many files this process has open.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// The SQLite audit insert prepares its statements on the driver's connection. Close must
// finalize them before the connection closes: SQLite keeps a connection with live statements
// open, its files with it. Not parallel: it counts the process's open files.
func TestSQLiteAuditCloseReleasesFiles(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	before := openFiles(t)
	n := 0
	for round := range 3 {
		s, err := store.Open(ctx, store.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		// 100 rows: the statements of 64, 32 and 4 rows.
		batch := make([]store.AuditEvent, 100)
		for i := range batch {
			batch[i] = distinctEvent(fmt.Sprintf("c%d-", round), i)
		}
		insert(t, s, batch...)
		n += len(batch)
		if st, err := s.AuditStats(ctx, store.AuditQuery{}); err != nil || st.Total != int64(n) {
			t.Fatalf("round %d: stats %+v, %v; want %d events", round, st, err, n)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("round %d: close: %v", round, err)
		}
		if err := s.InsertAudit(ctx, batch[:1]); err == nil {
			t.Fatalf("round %d: InsertAudit after Close = nil, want an error", round)
		}
		if after := openFiles(t); after != before {
			t.Fatalf("round %d: %d files open after Close, %d before Open", round, after, before)
		}
	}
}
