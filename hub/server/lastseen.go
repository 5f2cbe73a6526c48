package server

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// SeenEvery is how often the hub records every agent it holds as seen (agents.last_seen_at),
// besides at each connection and disconnection: an agent whose hub died shows a last-seen
// time at most this old.
const SeenEvery = time.Minute

// agentsSeen is the store's part that records agents' last-seen times (store.Agents).
type agentsSeen interface {
	SetAgentsSeen(ctx context.Context, ids []string, at time.Time) error
}

// seenRecorder writes agents' last-seen times: the agents that connected or left since the
// last write, at once in the background (never on the path of a call or of the tunnel's
// handshake), and every agent held here each SeenEvery, in one statement each time.
type seenRecorder struct {
	st        agentsSeen
	connected func() []string // ids of the agents held here
	every     time.Duration
	log       *slog.Logger

	mu      sync.Mutex
	pending map[string]struct{}
	kick    chan struct{}
}

func newSeenRecorder(st agentsSeen, connected func() []string, log *slog.Logger) *seenRecorder {
	return &seenRecorder{st: st, connected: connected, every: SeenEvery, log: log,
		pending: map[string]struct{}{}, kick: make(chan struct{}, 1)}
}

// mark notes that agent id connected or left; Run records it shortly after.
func (r *seenRecorder) mark(id string) {
	r.mu.Lock()
	r.pending[id] = struct{}{}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run records until ctx ends, then once more for every agent still held (the hub is
// stopping, so they are about to leave) and those marked meanwhile.
func (r *seenRecorder) Run(ctx context.Context) error {
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			r.write(final, true)
			cancel()
			return nil
		case <-r.kick:
			r.write(ctx, false)
		case <-t.C:
			r.write(ctx, true)
		}
	}
}

// write records the marked agents and, with all, every agent held here, as seen now.
func (r *seenRecorder) write(ctx context.Context, all bool) {
	r.mu.Lock()
	ids := slices.Collect(maps.Keys(r.pending))
	clear(r.pending)
	r.mu.Unlock()
	if all {
		ids = append(ids, r.connected()...)
		slices.Sort(ids)
		ids = slices.Compact(ids)
	}
	if len(ids) == 0 {
		return
	}
	if err := r.st.SetAgentsSeen(ctx, ids, time.Now()); err != nil {
		r.log.Warn("agents' last-seen time not recorded", "agents", len(ids), "err", err)
	}
}
