package audit

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

func openInternal(t *testing.T, dir string, st store.Store) *Recorder {
	t.Helper()
	r, err := Open(context.Background(), Config{Dir: dir, Store: st}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.jnl"))
	return m
}

// A failed write must not leave garbage that a later record on the same line would join:
// the write is retried once on a new segment (after the reserve is released), the Recorder
// goes down until a probe succeeds, and everything acknowledged is still shipped.
func TestWriteFailureMovesToANewSegment(t *testing.T) {
	st, dir := storetest.New(t), t.TempDir()
	r, err := Open(context.Background(), Config{Dir: dir, Store: st, ProbeInterval: time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := os.Stat(filepath.Join(dir, reserveName)); err != nil {
		t.Fatalf("no reserve after Open: %v", err)
	}
	ok := &store.AuditEvent{Kind: "call"}
	if err := r.Record(ok); err != nil {
		t.Fatal(err)
	}
	r.j.file.Close() // the disk goes away under the journal
	retried := &store.AuditEvent{Kind: "call"}
	if err := r.Record(retried); err != nil {
		t.Fatalf("Record of a failed write, retried on a new segment: %v", err)
	}
	if n := len(segmentFiles(t, dir)); n != 2 {
		t.Errorf("%d segments, want the abandoned one and a new one", n)
	}
	if _, err := os.Stat(filepath.Join(dir, reserveName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reserve not released after a failed write: %v", err)
	}
	if s := r.Stats(); !s.JournalDown {
		t.Errorf("Stats after a failed write = %+v, want the journal down", s)
	}
	// The journal is fine again (the new segment took the write): the next probe says so.
	for deadline := time.Now().Add(30 * time.Second); r.Health() != nil; {
		if time.Now().After(deadline) {
			t.Fatalf("Health still %v after 30 s of probes", r.Health())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, reserveName)); err != nil {
		t.Errorf("the probe did not recreate the reserve: %v", err)
	}
	after := &store.AuditEvent{Kind: "call"}
	if err := r.Record(after); err != nil {
		t.Fatalf("Record after a failed write: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	evs, _, err := st.QueryAudit(context.Background(), store.AuditQuery{})
	if err != nil || len(evs) != 3 || evs[0].ID != after.ID || evs[1].ID != retried.ID || evs[2].ID != ok.ID {
		t.Fatalf("stored %+v, %v; want the three acknowledged events", evs, err)
	}
	if s := r.Stats(); s.Failed != 0 || s.Recorded != 3 {
		t.Errorf("Stats = %+v", s)
	}
}

// Once everything in a large active segment is stored, it is rotated and deleted, so the
// journal does not grow while the hub runs.
func TestIdleSegmentIsRotatedAndDeleted(t *testing.T) {
	st, dir := storetest.New(t), t.TempDir()
	r := openInternal(t, dir, st)
	first := r.j.active
	big := string(make([]byte, 2000))
	for r.j.active.size.Load() < idleRotateBytes {
		if err := r.Record(&store.AuditEvent{Kind: "call", Detail: big}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := r.drain(context.Background())
	if err != nil || n == 0 {
		t.Fatalf("drain = %d, %v", n, err)
	}
	if r.j.active == first {
		t.Fatal("the shipped 1 MiB segment was not rotated")
	}
	if _, err := os.Stat(first.path); !os.IsNotExist(err) {
		t.Errorf("the shipped segment is still on disk: %v", err)
	}
	if segs := segmentFiles(t, dir); len(segs) != 1 || segs[0] != r.j.active.path {
		t.Errorf("segments on disk: %v", segs)
	}
	if p := r.pending.Load(); p != 0 {
		t.Errorf("pending = %d after drain", p)
	}
}

// A segment of an unknown format (a newer hub's, after a downgrade) is neither replayed as
// garbage nor deleted: Open refuses, naming the file.
func TestUnknownJournalFormatIsKept(t *testing.T) {
	st, dir := storetest.New(t), t.TempDir()
	path := filepath.Join(dir, segmentName(7))
	if err := os.WriteFile(path, []byte("mcpgw-audit-journal 2\nwhatever\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), Config{Dir: dir, Store: st}, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open = %v, want an error naming %s", err, path)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the unknown segment was removed: %v", err)
	}
	// A segment torn while its header was written holds nothing and is cleaned up.
	os.Remove(path)
	os.WriteFile(path, []byte("mcpgw-au"), 0o600)
	openInternal(t, dir, st)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the torn segment is still there: %v", err)
	}
}
