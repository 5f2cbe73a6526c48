package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestTracker(max int) (*Tracker, *clock) {
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return New(Options{Version: "v1", HubURL: "ws://hub/agent/ws", AgentID: "laptop", MaxCalls: max, MaxLogs: max, Now: c.now}), c
}

func TestConnectionStates(t *testing.T) {
	tr, c := newTestTracker(0)
	s := tr.Snapshot()
	if s.State != StateConnecting || s.Version != "v1" || s.AgentID != "laptop" || s.HubURL != "ws://hub/agent/ws" {
		t.Fatalf("initial: %+v", s)
	}
	tr.Disconnected("dial tcp: connection refused", "", 4*time.Second)
	c.t = c.t.Add(time.Second)
	s = tr.Snapshot()
	if s.State != StateReconnecting || s.RetryIn != 3*time.Second || s.LastError != "dial tcp: connection refused" {
		t.Fatalf("after a failure: %+v", s)
	}
	tr.Connecting()
	if s = tr.Snapshot(); s.State != StateReconnecting || s.RetryIn != 0 || !s.RetryAt.IsZero() {
		t.Fatalf("retrying after a failure is reconnecting, now: %+v", s)
	}
	tr.Connected("hub-1")
	if s = tr.Snapshot(); s.State != StateConnected || s.LastError != "" || s.HubVersion != "hub-1" || !s.Since.Equal(c.t) {
		t.Fatalf("connected: %+v", s)
	}
	tr.Disconnected("hub refused", "revoked: key revoked", 5*time.Minute)
	tr.Connecting()
	if s = tr.Snapshot(); s.State != StateRefused || s.Refusal != "revoked: key revoked" {
		t.Fatalf("a refused agent keeps saying why while it retries: %+v", s)
	}
	tr.Connected("hub-1")
	if s = tr.Snapshot(); s.State != StateConnected || s.Refusal != "" {
		t.Fatalf("welcome clears the refusal: %+v", s)
	}
}

func TestBackendsCountRestartsAndKeepLastError(t *testing.T) {
	tr, _ := newTestTracker(0)
	tools := []json.RawMessage{[]byte(`{}`), []byte(`{}`)}
	for _, b := range []protocol.Backend{
		{Name: "fs", Transport: "stdio", State: protocol.StateStopped},
		{Name: "fs", Transport: "stdio", State: protocol.StateStarting},
		{Name: "web", Transport: "http", State: protocol.StateStarting},
		{Name: "fs", Transport: "stdio", State: protocol.StateReady, Tools: tools},
		{Name: "fs", Transport: "stdio", State: protocol.StateFailed, Error: "server exited"},
		{Name: "fs", Transport: "stdio", State: protocol.StateStarting},
		{Name: "fs", Transport: "stdio", State: protocol.StateReady, Tools: tools[:1]},
	} {
		tr.Backend(b)
	}
	got := tr.Snapshot().Backends
	want := []Backend{
		{Name: "fs", Transport: "stdio", State: "ready", Tools: 1, Restarts: 1, LastError: "server exited"},
		{Name: "web", Transport: "http", State: "starting"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("backends = %+v\nwant %+v", got, want)
	}
}

func TestCallsAndLogsAreBounded(t *testing.T) {
	tr, _ := newTestTracker(5)
	for i := range 12 {
		tr.Call(Call{Tool: fmt.Sprint("t", i), Status: CallOK})
		tr.Log(LogLine{Message: fmt.Sprint("m", i)})
	}
	s := tr.Snapshot()
	if len(s.Calls) != 5 || s.Calls[0].Tool != "t11" || s.Calls[4].Tool != "t7" || s.CallsTotal != 12 {
		t.Fatalf("calls = %+v total %d, want t11..t7 newest first", s.Calls, s.CallsTotal)
	}
	logs := tr.LogsSince(0)
	if len(logs) != 5 || logs[0].Message != "m7" || logs[0].Seq != 8 || logs[4].Seq != 12 {
		t.Fatalf("logs = %+v, want m7..m11 oldest first", logs)
	}
	if got := tr.LogsSince(10); len(got) != 2 || got[0].Seq != 11 {
		t.Fatalf("LogsSince(10) = %+v", got)
	}
	if got := tr.LogsSince(12); len(got) != 0 {
		t.Fatalf("LogsSince(last) = %+v", got)
	}
	s.Calls[0].Tool = "changed"
	if tr.Snapshot().Calls[0].Tool != "t11" {
		t.Fatal("a snapshot shares memory with the tracker")
	}
}

// A subscriber that never reads loses events but never slows the writer; one that reads
// sees them.
func TestSubscriptionDropsForSlowReaders(t *testing.T) {
	tr, _ := newTestTracker(0)
	slow := tr.Subscribe(4)
	defer slow.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			tr.Call(Call{Status: CallOK})
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a subscriber that does not read blocked the tracker")
	}
	if slow.Dropped() != 996 || len(slow.C()) != 4 {
		t.Fatalf("dropped %d, queued %d; want 996 and 4", slow.Dropped(), len(slow.C()))
	}
	fast := tr.Subscribe(0)
	tr.Log(LogLine{Message: "x"})
	if e := <-fast.C(); e.Kind != KindLog || e.Seq != 1 {
		t.Fatalf("event = %+v", e)
	}
	fast.Close()
	fast.Close()
	if _, open := <-fast.C(); open {
		t.Fatal("channel open after Close")
	}
	tr.Call(Call{}) // no send on the closed channel
}

func TestNilTrackerIsOff(t *testing.T) {
	var tr *Tracker
	tr.Connecting()
	tr.Connected("x")
	tr.Disconnected("a", "b", time.Second)
	tr.Backend(protocol.Backend{Name: "x"})
	tr.Call(Call{})
	tr.Log(LogLine{})
	tr.SetUpdateAvailable("v2")
	if tr.Version() != 0 || tr.Snapshot().State != "" || tr.LogsSince(0) != nil {
		t.Fatal("a nil tracker has state")
	}
}

func TestRestoreMirrorsASnapshot(t *testing.T) {
	src, c := newTestTracker(0)
	src.Disconnected("gone", "", 10*time.Second)
	src.Backend(protocol.Backend{Name: "fs", State: "ready"})
	src.Call(Call{Tool: "a"})
	src.Call(Call{Tool: "b"})
	src.SetUpdateAvailable("v2")
	snap := src.Snapshot()
	mirror, _ := newTestTracker(0)
	mirror.Log(LogLine{Message: "kept"})
	mirror.Restore(snap)
	got := mirror.Snapshot()
	got.Taken, snap.Taken = time.Time{}, time.Time{}
	if fmt.Sprint(got) != fmt.Sprint(snap) {
		t.Fatalf("mirror = %+v\nwant %+v", got, snap)
	}
	if len(mirror.LogsSince(0)) != 1 {
		t.Fatal("Restore dropped the mirror's log lines")
	}
	_ = c
}

func TestConcurrentUse(t *testing.T) {
	tr, _ := newTestTracker(50)
	sub := tr.Subscribe(1)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 500 {
				tr.Call(Call{Tool: "t"})
				tr.Log(LogLine{Message: "m"})
				tr.Backend(protocol.Backend{Name: fmt.Sprint(i), State: []string{"starting", "ready"}[j%2]})
				_ = tr.Snapshot()
				_ = tr.LogsSince(uint64(j))
			}
		})
	}
	wg.Wait()
	sub.Close()
	if s := tr.Snapshot(); s.CallsTotal != 2000 || len(s.Calls) != 50 || len(s.Backends) != 4 {
		t.Fatalf("total %d, kept %d, backends %d", s.CallsTotal, len(s.Calls), len(s.Backends))
	}
}

func TestLogHandlerTees(t *testing.T) {
	tr, _ := newTestTracker(0)
	var text strings.Builder
	next := slog.NewTextHandler(&text, &slog.HandlerOptions{Level: slog.LevelDebug})
	log := slog.New(NewLogHandler(tr, slog.LevelInfo, next)).With("agent", "laptop").WithGroup("tunnel")
	log.Debug("not for the tracker")
	log.Warn("lost connection", "err", errors.New("read: EOF"), "retry_in", 3*time.Second,
		slog.Group("peer", "addr", "1.2.3.4"), "note", "two words", "empty", "")
	lines := tr.LogsSince(0)
	if len(lines) != 1 {
		t.Fatalf("tracker lines = %+v", lines)
	}
	l := lines[0]
	want := `agent=laptop tunnel.err="read: EOF" tunnel.retry_in=3s tunnel.peer.addr=1.2.3.4 tunnel.note="two words" tunnel.empty=""`
	if l.Level != "WARN" || l.Message != "lost connection" || l.Attrs != want {
		t.Fatalf("line = %+v\nwant attrs %s", l, want)
	}
	if !strings.Contains(text.String(), "not for the tracker") || !strings.Contains(text.String(), "lost connection") {
		t.Fatalf("next handler missed records:\n%s", text.String())
	}
	alone := slog.New(NewLogHandler(tr, slog.LevelWarn, nil))
	alone.Info("dropped")
	alone.Error("kept")
	if got := tr.LogsSince(1); len(got) != 1 || got[0].Message != "kept" {
		t.Fatalf("without a next handler: %+v", got)
	}
}

func BenchmarkTrackerCall(b *testing.B) {
	tr := New(Options{})
	sub := tr.Subscribe(1)
	defer sub.Close()
	c := Call{Time: time.Now(), Caller: "alice", Backend: "fs", Tool: "read_file", Status: CallOK, Duration: time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		tr.Call(c)
	}
}

func TestWaitFor(t *testing.T) {
	tr, _ := newTestTracker(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		tr.Disconnected("x", "", time.Second)
		tr.Connected("h")
	}()
	if err := tr.WaitFor(ctx, func(s Snapshot) bool { return s.State == StateConnected }); err != nil {
		t.Fatal(err)
	}
	short, stop := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer stop()
	if err := tr.WaitFor(short, func(s Snapshot) bool { return s.State == StateRefused }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor for a state that never comes: %v", err)
	}
}
