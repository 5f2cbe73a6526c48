package status

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Default bounds of a Tracker's memory.
const (
	DefaultMaxCalls = 200
	DefaultMaxLogs  = 1000
)

// Options configure a Tracker. The zero value works.
type Options struct {
	Version, HubURL, AgentID string
	MaxCalls                 int // recent calls kept; default DefaultMaxCalls
	MaxLogs                  int // log lines kept; default DefaultMaxLogs
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
}

// Tracker holds the agent's live state. Every method is safe for concurrent use and cheap
// enough for the call path: a lock, a copy into a ring, and non-blocking sends to
// subscribers. Methods on a nil *Tracker do nothing, so the connector can call them
// unconditionally when status tracking is off.
type Tracker struct {
	now     func() time.Time
	version atomic.Uint64 // bumped on every change; see Version

	mu         sync.Mutex
	snap       Snapshot // everything but Backends, Calls and Taken
	failed     bool     // a connection attempt failed or ended since the start
	backends   []Backend
	calls      ring[Call]
	callsTotal uint64
	logs       ring[LogLine]
	logSeq     uint64
	subs       map[*Subscription]struct{}
}

// New returns an empty Tracker in the connecting state.
func New(opts Options) *Tracker {
	if opts.MaxCalls <= 0 {
		opts.MaxCalls = DefaultMaxCalls
	}
	if opts.MaxLogs <= 0 {
		opts.MaxLogs = DefaultMaxLogs
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	t := &Tracker{
		now:   opts.Now,
		calls: newRing[Call](opts.MaxCalls),
		logs:  newRing[LogLine](opts.MaxLogs),
		subs:  map[*Subscription]struct{}{},
	}
	start := opts.Now()
	t.snap = Snapshot{Version: opts.Version, HubURL: opts.HubURL, AgentID: opts.AgentID,
		Started: start, State: StateConnecting, Since: start}
	return t
}

// Version is a counter that grows with every change; a reader that polls compares it with
// the value it last saw instead of taking a Snapshot.
func (t *Tracker) Version() uint64 {
	if t == nil {
		return 0
	}
	return t.version.Load()
}

// Snapshot copies the current state.
func (t *Tracker) Snapshot() Snapshot {
	if t == nil {
		return Snapshot{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.snap
	s.Taken = t.now()
	if !s.RetryAt.IsZero() {
		s.RetryIn = max(0, s.RetryAt.Sub(s.Taken))
	}
	s.Backends = slices.Clone(t.backends)
	s.Calls = t.calls.newestFirst()
	s.CallsTotal = t.callsTotal
	return s
}

// LogsSince returns the kept log lines with a sequence number above seq, oldest first.
func (t *Tracker) LogsSince(seq uint64) []LogLine {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []LogLine
	t.logs.each(func(l *LogLine) {
		if l.Seq > seq {
			out = append(out, *l)
		}
	})
	return out
}

// Connecting records that a connection attempt started.
func (t *Tracker) Connecting() {
	t.change(KindState, func() {
		switch {
		case t.snap.State == StateRefused:
			// Keep saying why until the hub says yes.
		case t.failed:
			t.setState(StateReconnecting)
		default:
			t.setState(StateConnecting)
		}
		t.snap.RetryAt = time.Time{}
	})
}

// Connected records the hub's welcome.
func (t *Tracker) Connected(hubVersion string) {
	t.change(KindState, func() {
		t.setState(StateConnected)
		t.snap.RetryAt, t.snap.Refusal, t.snap.LastError = time.Time{}, "", ""
		t.snap.HubVersion = hubVersion
	})
}

// Disconnected records why a connection failed or ended and when the next attempt is. A
// non-empty refusal (the hub's reason) puts the tracker in the refused state.
func (t *Tracker) Disconnected(reason, refusal string, retryIn time.Duration) {
	t.change(KindState, func() {
		t.failed = true
		if refusal != "" {
			t.setState(StateRefused)
		} else {
			t.setState(StateReconnecting)
		}
		t.snap.Refusal, t.snap.LastError = refusal, reason
		t.snap.RetryAt = t.now().Add(retryIn)
	})
}

func (t *Tracker) setState(s string) {
	if t.snap.State != s {
		t.snap.State, t.snap.Since = s, t.now()
	}
}

// SetUpdateAvailable records the version an update check found ("" when up to date).
func (t *Tracker) SetUpdateAvailable(v string) {
	t.change(KindUpdate, func() { t.snap.UpdateAvailable = v })
}

// Backend records a backend's new snapshot (backend.Options.OnChange).
func (t *Tracker) Backend(b protocol.Backend) {
	t.change(KindBackend, func() {
		i := slices.IndexFunc(t.backends, func(x Backend) bool { return x.Name == b.Name })
		if i < 0 {
			t.backends = append(t.backends, Backend{Name: b.Name})
			i = len(t.backends) - 1
		}
		cur := &t.backends[i]
		if b.State == protocol.StateStarting && (cur.State == protocol.StateReady || cur.State == protocol.StateFailed) {
			cur.Restarts++
		}
		cur.Transport, cur.State, cur.Tools = b.Transport, b.State, len(b.Tools)
		if b.Error != "" {
			cur.LastError = b.Error
		}
	})
}

// Call records a finished call.
func (t *Tracker) Call(c Call) {
	t.change(KindCall, func() {
		t.calls.put(c)
		t.callsTotal++
	})
}

// Log adds a log line; its Seq is assigned here.
func (t *Tracker) Log(l LogLine) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.logSeq++
	l.Seq = t.logSeq
	t.logs.put(l)
	t.version.Add(1)
	t.notify(Event{Kind: KindLog, Seq: l.Seq})
	t.mu.Unlock()
}

// Restore replaces the state with s (calls, backends, connection); log lines are kept. A
// dashboard mirrors a running agent this way.
func (t *Tracker) Restore(s Snapshot) {
	t.change(KindReplace, func() {
		t.backends = slices.Clone(s.Backends)
		t.calls.clear()
		for i := len(s.Calls) - 1; i >= 0; i-- {
			t.calls.put(s.Calls[i])
		}
		t.callsTotal = s.CallsTotal
		s.Backends, s.Calls, s.CallsTotal, s.RetryIn = nil, nil, 0, 0
		if s.State == StateReconnecting || s.State == StateRefused {
			t.failed = true
		}
		t.snap = s
	})
}

func (t *Tracker) change(k Kind, f func()) {
	if t == nil {
		return
	}
	t.mu.Lock()
	f()
	t.version.Add(1)
	t.notify(Event{Kind: k})
	t.mu.Unlock()
}
