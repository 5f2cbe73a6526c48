package tunnel

import (
	"bytes"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// An idle tunnel costs the hub as few goroutines as yamux allows (thousands of idle agents
// per hub): no yamux keepalive goroutine on either end, and no goroutine per Conn for the
// pings — the agent's end pings from a timer, the hub's ends are checked by one sweeper.
func TestIdleTunnelGoroutines(t *testing.T) {
	const n = 10
	cfg := Config{} // default intervals: no ping is due while the goroutines are counted
	h := startHub(t, cfg, nil)
	for range n {
		dial(t, DialConfig{URL: h.url(), Config: cfg})
		h.next(t)
	}
	// A goroutine running on another thread shows no stack in the dump: count until the
	// figures hold, or report the last ones.
	var ping, keepalive, sweepers int
	waitfor.Poll(30*time.Second, func() bool { // the assertions below say what was left
		ping = countStacks(t, "tunnel.(*Conn).tick") + countStacks(t, "tunnel.(*Conn).sweepPing")
		keepalive, sweepers = countStacks(t, "yamux.(*Session).keepalive"), countStacks(t, "tunnel.(*sweeper).run")
		return ping == 0 && keepalive == 0 && sweepers == 1
	})
	if ping != 0 {
		t.Errorf("%d goroutines sending pings for %d idle tunnels (both ends), want 0", ping, n)
	}
	if keepalive != 0 {
		t.Errorf("%d yamux keepalive goroutines for %d tunnels, want 0", keepalive, n)
	}
	if sweepers != 1 {
		t.Errorf("%d keepalive sweepers for one Upgrader's %d tunnels, want 1", sweepers, n)
	}
}

// countStacks counts the goroutines whose stack holds fn.
func countStacks(t *testing.T, fn string) int {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, s := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(s, fn) {
			k++
		}
	}
	return k
}
