package router

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// checkConsistent checks that a table is whole: every agent of the load fleet shows all of
// its 5 tools or none, every listed name resolves to its agent, and the keys are sorted.
func checkConsistent(t *testing.T, tb *Table) {
	l := tb.ToolList()
	if len(l.Keys) != len(l.Items) || !slices.IsSorted(l.Keys) {
		t.Errorf("table with %d items and %d keys, sorted %v", len(l.Items), len(l.Keys), slices.IsSorted(l.Keys))
		return
	}
	perAgent := map[string]int{}
	for _, k := range l.Keys {
		tg, ok := tb.Tool(k)
		if !ok || !strings.HasPrefix(k, tg.Agent+"__") {
			t.Errorf("listed tool %q resolves to %+v, %v", k, tg, ok)
			return
		}
		perAgent[tg.Agent]++
	}
	for a, n := range perAgent {
		if n != 5 {
			t.Errorf("agent %s has %d of its 5 tools in a table", a, n)
			return
		}
	}
}

// TestBurstCoalesced: a burst of agent connects and disconnects on a large table is built
// into far fewer tables than changes (each change no longer rebuilds everything), every
// table readers see is whole, and the last one holds every change without anyone asking.
func TestBurstCoalesced(t *testing.T) {
	var builds atomic.Int64
	changed := make(chan struct{}, 1)
	r := New(func(Changes) {
		builds.Add(1)
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	fleet := fleetOf(1400)
	ids := make([]string, 0, len(fleet))
	for id := range fleet {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	want := map[string][]protocol.Backend{}
	for _, id := range ids[:400] { // 400 agents connected before the burst
		r.Set(id, fleet[id])
		want[id] = fleet[id]
	}
	r.Sync()

	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		var last *Table
		for {
			select {
			case <-stop:
				return
			default:
			}
			if tb := r.Table(); tb != last {
				checkConsistent(t, tb)
				last = tb
			}
		}
	})

	// The burst: 8 goroutines, each connecting 125 new agents and disconnecting 25 old ones.
	before := builds.Load()
	var wg sync.WaitGroup
	var mu sync.Mutex
	const workers = 8
	for w := range workers {
		wg.Go(func() {
			for i := 400 + w; i < len(ids); i += workers {
				r.Set(ids[i], fleet[ids[i]])
				mu.Lock()
				want[ids[i]] = fleet[ids[i]]
				mu.Unlock()
				if i%5 == 0 { // one of the first 200 agents leaves
					old := ids[(i-400)/5]
					r.Remove(old)
					mu.Lock()
					delete(want, old)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	changes := 1000 + 200

	expect := tableOf(want, "")
	deadline := time.After(60 * time.Second)
	for !sameList(r.Table().Tools(), expect.Tools()) {
		select {
		case <-changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("the table has %d tools 60 s after the burst, want %d", len(r.Table().Tools()), len(expect.Tools()))
		}
	}
	close(stop)
	readers.Wait()
	checkConsistent(t, r.Table())
	if !sameList(r.Table().Prompts(), expect.Prompts()) || !slices.Equal(r.Table().Backends(), expect.Backends()) {
		t.Error("the last table differs from a build of the final sources")
	}
	n := builds.Load() - before
	t.Logf("%d changes, %d tables built", changes, n)
	if n >= int64(changes)/2 {
		t.Errorf("%d changes gave %d tables: the burst was not coalesced", changes, n)
	}
}

// TestSmallTableBuiltAtOnce: below CoalesceFrom sources, each change is in Table when Set
// or Remove returns, as every caller with a few agents expects.
func TestSmallTableBuiltAtOnce(t *testing.T) {
	r := New(nil)
	for i := range CoalesceFrom - 1 {
		id := fmt.Sprintf("a%d", i)
		r.Set(id, backends(bk{name: "b", tools: []string{"t"}}))
		if _, ok := r.Table().Tool(id + "__b__t"); !ok {
			t.Fatalf("agent %d of %d: its tool is not in the table after Set", i+1, CoalesceFrom-1)
		}
	}
	r.Remove("a0")
	if _, ok := r.Table().Tool("a0__b__t"); ok {
		t.Fatal("tool still in the table after Remove")
	}
}

// TestSyncPublishesPending: a coalesced change is in Table after Sync.
func TestSyncPublishesPending(t *testing.T) {
	r := New(nil)
	r.coalesceFrom = 1
	r.Set("a", backends(bk{name: "b", tools: []string{"t"}}))
	r.mu.Lock()
	r.lastEnd = time.Now() // the next change waits MaxCoalesce
	r.mu.Unlock()
	r.Set("c", backends(bk{name: "b", tools: []string{"t"}}))
	r.Sync()
	if _, ok := r.Table().Tool("c__b__t"); !ok {
		t.Fatal("a coalesced change is not in the table after Sync")
	}
}
