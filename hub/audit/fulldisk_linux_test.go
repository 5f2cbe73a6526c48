package audit_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// logCount counts log records by message prefix.
type logCount struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *logCount) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCount) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCount) WithGroup(string) slog.Handler            { return l }
func (l *logCount) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range []string{"audit journal cannot be written", "audit journal is writable again"} {
		if strings.HasPrefix(r.Message, p) {
			l.n[p]++
		}
	}
	return nil
}

func (l *logCount) get(p string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[p]
}

// fillDisk writes to path until its file system is full (ENOSPC), partial pages included.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for _, n := range []int{len(buf), 4096, 512, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill: %v", err)
				}
				break
			}
		}
	}
}

// TestFullDisk runs the Recorder on a real 2 MiB tmpfs and fills it. Refuse mode: Admit
// refuses with ErrJournal and Ready says why; allow mode: Admit admits and Record returns
// ErrUnaudited, counted as lost. Both: the events of calls admitted before the failure
// land (the reserve), the failure and the recovery are logged once each however many calls
// meet them, and the Recorder comes back by itself when space is freed.
func TestFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a real full disk needs root to mount a small tmpfs")
	}
	for _, allow := range []bool{false, true} {
		t.Run(map[bool]string{false: "refuse", true: "allow"}[allow], func(t *testing.T) {
			dir := t.TempDir()
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
				t.Skipf("mount tmpfs: %v: %s", err, out)
			}
			t.Cleanup(func() { exec.Command("umount", dir).Run() })
			logs := &logCount{n: map[string]int{}}
			st := storetest.New(t)
			rec, err := audit.Open(context.Background(), audit.Config{Dir: filepath.Join(dir, "j"), Store: st,
				AllowUnjournaled: allow, ReserveBytes: 64 << 10, ProbeInterval: 10 * time.Millisecond}, slog.New(logs))
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close()
			filler := filepath.Join(dir, "filler")
			fillDisk(t, filler)

			// Records until one fails: the reserve carries the first ones past the failure.
			var failed error
			recorded := 0
			for i := 0; i < 10000 && failed == nil; i++ {
				if failed = rec.Record(call(i)); failed == nil {
					recorded++
				}
			}
			if !errors.Is(failed, audit.ErrJournal) || errors.Is(failed, audit.ErrUnaudited) != allow {
				t.Fatalf("Record on a full disk: %v (allow %v)", failed, allow)
			}
			if recorded == 0 {
				t.Error("no event landed after the disk filled: the reserve did not carry them")
			}
			for i := 0; i < 100; i++ { // calls that meet the failure: not one log line each
				_ = rec.Admit()
				_ = rec.Record(call(i))
			}
			admit := rec.Admit()
			st1 := rec.Stats()
			if allow {
				if admit != nil || rec.Ready() != nil || st1.Lost < 101 || st1.RefusedJournal != 0 {
					t.Errorf("allow mode on a full disk: Admit %v, Ready %v, Stats %+v", admit, rec.Ready(), st1)
				}
			} else {
				if !errors.Is(admit, audit.ErrJournal) || !strings.Contains(admit.Error(), "no space left on device") ||
					strings.Contains(admit.Error(), dir) || st1.RefusedJournal < 101 || st1.Lost != 0 {
					t.Errorf("refuse mode on a full disk: Admit %v, Stats %+v", admit, st1)
				}
				if err := rec.Ready(); err == nil || !strings.Contains(err.Error(), "no space left on device") {
					t.Errorf("Ready on a full disk: %v", err)
				}
			}
			if !st1.JournalDown || logs.get("audit journal cannot be written") != 1 {
				t.Errorf("down %v, logged %d times, want once", st1.JournalDown, logs.get("audit journal cannot be written"))
			}

			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for rec.Health() != nil {
				if time.Now().After(deadline) {
					t.Fatalf("still down 60 s after space was freed: %v", rec.Health())
				}
				time.Sleep(5 * time.Millisecond) // the probe runs every ProbeInterval: poll
			}
			if err := rec.Admit(); err != nil {
				t.Fatalf("Admit after recovery: %v", err)
			}
			mustRecord(t, rec, call(0))
			if n := logs.get("audit journal is writable again"); n != 1 {
				t.Errorf("recovery logged %d times, want once", n)
			}
			if _, err := os.Stat(filepath.Join(dir, "j", "reserve")); err != nil {
				t.Errorf("reserve not recreated: %v", err)
			}
		})
	}
}
