package tunnel

import (
	"bytes"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// An idle tunnel costs the hub as few goroutines as yamux allows (issue 11: thousands of idle
// agents per hub): the Conn's pings come from a timer, not a goroutine per Conn, and the hub's
// end runs no yamux keepalive goroutine (the agent's end still does; liveness is the Conn's).
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
	var ping, keepalive int
	waitfor.Poll(30*time.Second, func() bool { // the assertions below say what was left
		ping, keepalive = countStacks(t, "tunnel.(*Conn).ping"), countStacks(t, "yamux.(*Session).keepalive")
		return ping == 0 && keepalive == n
	})
	if ping != 0 {
		t.Errorf("%d goroutines in Conn.ping for %d idle tunnels (both ends), want 0", ping, n)
	}
	if keepalive != n {
		t.Errorf("%d yamux keepalive goroutines for %d tunnels, want %d (the agents' ends only)", keepalive, n, n)
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
