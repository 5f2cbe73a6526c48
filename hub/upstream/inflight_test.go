package upstream

import (
	"testing"
	"time"
)

// TestInFlight: the counts follow Begin and End per agent and in total, and a watcher hears
// an end only once it watches (an end before Watch leaves nothing to read).
func TestInFlight(t *testing.T) {
	f := newInFlight()
	a := f.Begin("a")
	local := f.Begin("")
	if total, busy := f.Busy("a"); total != 2 || !busy {
		t.Fatalf("Busy(a) = %d, %v; want 2, true", total, busy)
	}
	if _, busy := f.Busy("b"); busy {
		t.Fatal("Busy(b) = true for an agent never called")
	}
	f.End(local)
	select {
	case <-f.changed:
		t.Fatal("an end signalled before anyone watched")
	default:
	}
	changed := f.Watch()
	f.End(a)
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher heard no end")
	}
	if total, busy := f.Busy("a"); total != 0 || busy {
		t.Fatalf("Busy(a) after both ends = %d, %v; want 0, false", total, busy)
	}
}
