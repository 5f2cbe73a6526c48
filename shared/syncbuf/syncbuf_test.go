package syncbuf

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Writers and a reader at once (run with -race): every write is kept whole.
func TestConcurrentWritesAndReads(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("line\n"))
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			_ = b.String()
		}
	})
	wg.Wait()
	if got := strings.Count(b.String(), "line\n"); got != 400 {
		t.Fatalf("%d lines, want 400", got)
	}
}

// Wait returns once a write makes its condition true, and false at its timeout when none does.
func TestWait(t *testing.T) {
	var b Buffer
	go func() {
		for _, s := range []string{"starting\n", "ready on :80\n"} {
			_, _ = b.Write([]byte(s))
		}
	}()
	if !b.Wait(time.Minute, func(out string) bool { return strings.Contains(out, "ready") }) {
		t.Fatalf("no ready line in %q", b.String())
	}
	if b.Wait(10*time.Millisecond, func(out string) bool { return strings.Contains(out, "never") }) {
		t.Fatal("Wait reported a condition that never held")
	}
}
