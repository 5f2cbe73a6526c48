package backend

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// echoer keeps calling echo from several goroutines until stopped, as other clients would,
// and reports the first failure.
type echoer struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
	calls  int
}

func startEchoers(t *testing.T, b *running, n int) *echoer {
	ctx, cancel := context.WithCancel(context.Background())
	e := &echoer{cancel: cancel}
	for g := range n {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				msg := fmt.Sprintf("g%d-%d", g, i)
				resp, err := b.Call(ctx, &Call{Request: toolCall(t, i, "echo", map[string]any{"message": msg}, nil)})
				e.record(ctx, resp, err, msg)
			}
		}()
	}
	return e
}

func (e *echoer) record(ctx context.Context, resp *jsonrpc.Response, err error, msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		return
	case err != nil:
		e.err = errors.Join(e.err, err)
	case resp.Error != nil || !strings.Contains(string(resp.Result), msg):
		e.err = errors.Join(e.err, fmt.Errorf("echo %s: %v %s", msg, resp.Error, resp.Result))
	default:
		e.calls++
	}
}

// stop ends the echoers and returns how many calls succeeded and the failures. It first
// gives them until one call has ended (generously: a busy machine may not have finished one
// while the test's own call ran), so that "none succeeded" means the backend failed them.
func (e *echoer) stop() (int, error) {
	waitfor.Poll(60*time.Second, func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.calls > 0 || e.err != nil
	})
	e.cancel()
	e.wg.Wait()
	return e.calls, e.err
}

// drainStates forgets the states reported so far.
func drainStates(b *running) {
	for {
		select {
		case <-b.states:
		default:
			return
		}
	}
}

// sameSession checks that the backend kept the session (and process) it had, and never
// went through failed.
func sameSession(t *testing.T, b *running, s *session) {
	t.Helper()
	if cur := b.sess.Load(); cur != s {
		t.Fatal("the backend was restarted")
	}
	for {
		select {
		case st := <-b.states:
			if st != protocol.StateReady {
				t.Fatalf("state went %s", st)
			}
		default:
			return
		}
	}
}

// Regression (issue 9): a line that is not JSON-RPC fails only the call it answers when its
// id can be found, and is skipped otherwise; other clients' calls carry on and the server
// is not restarted.
func TestStdioGarbageFailsOneCall(t *testing.T) {
	noLeaks(t)
	b := start(t, testServerConfig(t, "garbage", nil), Options{})
	s := b.sess.Load()
	drainStates(b)
	others := startEchoers(t, b, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range []struct {
		tool string
		code int64 // 0: the call succeeds
	}{
		{"noise", 0}, {"noise-json", 0},
		{"broken", mcp.CodeBadBackendMessage},
		{"broken-id-last", mcp.CodeBadBackendMessage},
		{"not-jsonrpc", mcp.CodeBadBackendMessage},
	} {
		for i := range 3 {
			resp, err := b.Call(ctx, &Call{Request: toolCall(t, i, c.tool, map[string]any{"message": "m"}, nil)})
			if err != nil {
				t.Fatalf("%s: %v", c.tool, err)
			}
			switch {
			case c.code == 0 && resp.Error != nil:
				t.Fatalf("%s: %v", c.tool, resp.Error)
			case c.code != 0 && (resp.Error == nil || mcp.ErrorCode(resp.Error) != c.code):
				t.Fatalf("%s: got %v %s, want code %d", c.tool, resp.Error, resp.Result, c.code)
			case c.code != 0 && !strings.Contains(resp.Error.Error(), `backend "garbage"`):
				t.Fatalf("%s: error %q does not name the backend", c.tool, resp.Error)
			}
		}
	}
	calls, err := others.stop()
	if err != nil {
		t.Fatalf("other clients' calls failed: %v", err)
	}
	t.Logf("%d concurrent echo calls succeeded", calls)
	sameSession(t, b, s)
	if bad, orphaned := b.lines.bad.Load(), b.lines.orphaned.Load(); bad != 15 || orphaned != 6 {
		t.Errorf("counted %d bad lines (%d without a call), want 15 (6)", bad, orphaned)
	}
	if !b.logs.contains("Server debug: this is not JSON-RPC") {
		t.Error("the line without a call was not logged")
	}
}

// Regression (issue 9): a 100 MiB result fails its call with CodeResultTooLarge without
// being held in memory, while another call on the same backend succeeds, and the server is
// not restarted. A result under the limit still arrives whole.
func TestStdioResultTooLarge(t *testing.T) {
	noLeaks(t)
	b := start(t, testServerConfig(t, "big", nil), Options{})
	s := b.sess.Load()
	drainStates(b)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	resp, err := b.Call(ctx, &Call{Request: toolCall(t, 1, "huge", map[string]any{"bytes": 5 << 20}, nil)})
	if got := resultText(t, resp, err); len(got) != 5<<20 {
		t.Fatalf("a 5 MiB result under the limit came back with %d bytes", len(got))
	}

	others := startEchoers(t, b, 2)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	resp, err = b.Call(ctx, &Call{Request: toolCall(t, 2, "huge", map[string]any{"bytes": 100 << 20}, nil)})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Error == nil || mcp.ErrorCode(resp.Error) != mcp.CodeResultTooLarge {
		t.Fatalf("got %v, want code %d", resp.Error, mcp.CodeResultTooLarge)
	}
	for _, want := range []string{`backend "big"`, "104857", "16777216", "max_message_bytes"} {
		if !strings.Contains(resp.Error.Error(), want) {
			t.Errorf("error %q lacks %q", resp.Error, want)
		}
	}
	// Holding the line would allocate at least its 100 MiB; the line buffer stops at the
	// 16 MiB limit (≈ 32 MiB allocated while it doubles).
	t.Logf("the 100 MiB call allocated %d MiB in this process", (after.TotalAlloc-before.TotalAlloc)>>20)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("the oversized call allocated %d MiB", alloc>>20)
	}
	calls, err := others.stop()
	if err != nil || calls == 0 {
		t.Fatalf("other clients' calls: %d succeeded, failures: %v", calls, err)
	}
	sameSession(t, b, s)
}

// The limit is a setting.
func TestStdioMaxMessageBytesSetting(t *testing.T) {
	noLeaks(t)
	cfg := testServerConfig(t, "small", nil)
	cfg.MaxMessageBytes = 4096
	b := start(t, cfg, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := b.Call(ctx, &Call{Request: toolCall(t, 1, "huge", map[string]any{"bytes": 5000}, nil)})
	if err != nil || resp.Error == nil || mcp.ErrorCode(resp.Error) != mcp.CodeResultTooLarge ||
		!strings.Contains(resp.Error.Error(), "limit of 4096 bytes") {
		t.Fatalf("got %v %v", resp, err)
	}
	resp, err = b.Call(ctx, &Call{Request: toolCall(t, 2, "huge", map[string]any{"bytes": 3000}, nil)})
	if got := resultText(t, resp, err); len(got) != 3000 {
		t.Fatalf("a result under the limit came back with %d bytes", len(got))
	}
}
