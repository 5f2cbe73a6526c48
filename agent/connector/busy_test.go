package connector

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// A hub busy with a reconnect storm answers 503 with Retry-After: the agent comes back no
// sooner than asked (its own backoff here is at most 200 ms), with at most a second of jitter.
func TestBusyHubRetryAfterHonoured(t *testing.T) {
	var mu sync.Mutex
	var tries []time.Time
	h := startFakeHub(t, func(w http.ResponseWriter, _ *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		tries = append(tries, time.Now())
		if len(tries) == 1 {
			w.Header().Set("Retry-After", "2")
			http.Error(w, "the hub is busy taking in agent connections; retry in 2 s", http.StatusServiceUnavailable)
			return false
		}
		return true
	})
	_, logs := startTestAgent(t, h.url(), Options{Backoff: Backoff{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond}})
	c := h.next(t)
	var hello protocol.Hello
	readJSON(t, c.ctrl, protocol.TypeHello, &hello)
	mu.Lock()
	gap := tries[1].Sub(tries[0])
	mu.Unlock()
	if gap < 2*time.Second {
		t.Errorf("agent came back after %s, before the hub's Retry-After of 2 s", gap)
	}
	if gap > 30*time.Second {
		t.Errorf("agent came back only after %s", gap)
	}
	if !strings.Contains(logs.String(), "the hub is busy; retrying when it asked") {
		t.Errorf("no busy log line:\n%s", logs.String())
	}
}

// The jitter spreads agents told the same whole second over that second, and no more: the
// hub spaced their slots already.
func TestRetryJitter(t *testing.T) {
	top := func(n int64) int64 { return n - 1 }
	for _, c := range []struct{ ra, want time.Duration }{
		{time.Second, time.Second - 1}, {8 * time.Second, time.Second - 1}, {50 * time.Second, time.Second - 1}, {0, time.Second - 1},
	} {
		if got := retryJitter(c.ra, top); got != c.want {
			t.Errorf("retryJitter(%s) max = %s, want %s", c.ra, got, c.want)
		}
	}
	if got := retryJitter(4*time.Second, func(int64) int64 { return 0 }); got != 0 {
		t.Errorf("retryJitter min = %s, want 0", got)
	}
}
