package audit_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// The crash test re-executes this test binary as a child that records events in a burst.
const (
	envChild   = "MCPGW_AUDIT_CRASH_CHILD"
	envDir     = "MCPGW_AUDIT_CRASH_JOURNAL"
	envDataDir = "MCPGW_AUDIT_CRASH_DATA_DIR"
	envDBURL   = "MCPGW_AUDIT_CRASH_DATABASE_URL"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" {
		if err := crashChild(); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashChild records events from several goroutines and prints each ID once Record has
// returned, until it is killed.
func crashChild() error {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: os.Getenv(envDataDir), DatabaseURL: os.Getenv(envDBURL)})
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rec, err := audit.Open(ctx, audit.Config{Dir: os.Getenv(envDir), Store: st, BatchSize: 64, FlushInterval: 5 * time.Millisecond}, log)
	if err != nil {
		return err
	}
	go rec.Run(ctx)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1_000_000; i++ {
				ev := &store.AuditEvent{Kind: store.AuditCall, Tool: fmt.Sprintf("tool%d", g), Status: "ok",
					Request: fmt.Sprintf(`{"n":%d}`, i)}
				if err := rec.Record(ev); err != nil {
					fmt.Fprintln(os.Stderr, "record:", err)
					os.Exit(3)
				}
				mu.Lock()
				_, err := os.Stdout.WriteString(ev.ID + "\n")
				mu.Unlock()
				if err != nil {
					os.Exit(4)
				}
			}
		}()
	}
	wg.Wait()
	return rec.Close()
}

func TestKill9DuringBurstLosesNoRecordedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Run("sqlite", func(t *testing.T) {
		crashTest(t, store.Config{DataDir: t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		crashTest(t, store.Config{DatabaseURL: storetest.PostgresURL(t)})
	})
}

func crashTest(t *testing.T, cfg store.Config) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=1", envDir+"="+dir, envDataDir+"="+cfg.DataDir, envDBURL+"="+cfg.DatabaseURL)
	cmd.Stderr = &testWriter{t: t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	printed := readIDs(t, out, cmd, 5000)
	state := cmd.Wait()
	if len(printed) < 5000 {
		t.Fatalf("the child printed only %d IDs (%v)", len(printed), state)
	}
	t.Logf("child killed (%v) after %d acknowledged events", state, len(printed))

	st := storetest.Open(t, cfg)
	before := countEvents(t, st)
	rec, err := audit.Open(context.Background(), audit.Config{Dir: dir, Store: st}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	stats := rec.Stats()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	stored := storedIDs(t, st)
	missing := 0
	for id := range printed {
		if !stored[id] {
			missing++
		}
	}
	t.Logf("in the store before replay: %d; replayed %d journal records (%d corrupt); stored now %d", before, stats.Replayed, stats.Corrupt, len(stored))
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged events are missing after replay", missing, len(printed))
	}
	if stats.Replayed == 0 {
		t.Errorf("nothing was left to replay: the test did not exercise recovery")
	}
	if segs := journalFiles(t, dir); len(segs) != 0 {
		t.Errorf("journal not emptied after replay and close: %v", segs)
	}
}

// readIDs reads the child's acknowledged IDs, kills it with SIGKILL once it has printed n,
// and keeps reading what it printed before it died.
func readIDs(t *testing.T, out io.Reader, cmd *exec.Cmd, n int) map[string]bool {
	ids := map[string]bool{}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		if line := sc.Text(); len(line) == 26 {
			ids[line] = true
		}
		if !killed && len(ids) >= n {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	if !killed {
		cmd.Process.Kill()
	}
	return ids
}

func countEvents(t *testing.T, st store.Store) int64 {
	s, err := st.AuditStats(context.Background(), store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return s.Total
}

func storedIDs(t *testing.T, st store.Store) map[string]bool {
	ids := map[string]bool{}
	q := store.AuditQuery{Limit: 1000}
	for {
		evs, next, err := st.QueryAudit(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if ids[e.ID] {
				t.Errorf("event %s stored twice", e.ID)
			}
			ids[e.ID] = true
		}
		if next == "" {
			return ids
		}
		q.Cursor = next
	}
}

// testWriter sends a child's stderr to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Logf("child: %s", p)
	return len(p), nil
}
