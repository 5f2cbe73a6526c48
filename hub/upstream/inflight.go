package upstream

import (
	"sync"
	"sync/atomic"
)

// InFlight counts the calls running per agent ("" for hub-local backends), so that a hub
// stopping can move each agent as soon as none of its calls runs here and exit once no call
// runs at all (docs/DEPLOY.md, "Graceful drain"). It is on every call's path, so it counts
// with atomics (one counter per agent id, kept once made: there are as many as agents ever
// called) and signals only once someone watches.
type InFlight struct {
	watched atomic.Bool
	total   atomic.Int64
	calls   sync.Map      // agent id → *atomic.Int64
	changed chan struct{} // capacity 1: a call ended while watched
}

func newInFlight() *InFlight { return &InFlight{changed: make(chan struct{}, 1)} }

// Begin counts a call to agent's tools starting; pass what it returns to End.
func (f *InFlight) Begin(agent string) *atomic.Int64 {
	n := f.counter(agent)
	n.Add(1)
	f.total.Add(1)
	return n
}

func (f *InFlight) counter(agent string) *atomic.Int64 {
	if v, ok := f.calls.Load(agent); ok {
		return v.(*atomic.Int64)
	}
	v, _ := f.calls.LoadOrStore(agent, new(atomic.Int64))
	return v.(*atomic.Int64)
}

// End counts a call's end. The decrements come before the check of watched: a watcher that
// starts after the check reads the counts after them, so no end is missed.
func (f *InFlight) End(n *atomic.Int64) {
	n.Add(-1)
	f.total.Add(-1)
	if !f.watched.Load() {
		return
	}
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// Busy returns the number of calls in flight and whether the agent has one.
func (f *InFlight) Busy(agent string) (total int, agentBusy bool) {
	if v, ok := f.calls.Load(agent); ok {
		agentBusy = v.(*atomic.Int64).Load() > 0
	}
	return int(f.total.Load()), agentBusy
}

// Watch turns signalling on and returns the channel that receives (coalesced) after a call
// ends; read Busy after each receive.
func (f *InFlight) Watch() <-chan struct{} {
	f.watched.Store(true)
	return f.changed
}
