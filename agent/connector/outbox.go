package connector

import (
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// maxQueuedEvents bounds the events waiting for the control stream; beyond it they are dropped.
const maxQueuedEvents = 1024

// outbox collects what the backend supervisor reports (snapshot changes, events) until the
// control stream's writer takes it. Its methods never block the supervisor.
type outbox struct {
	log *slog.Logger

	mu      sync.Mutex
	open    bool                        // a session is welcomed; events are kept only then
	updates map[string]protocol.Backend // latest snapshot per backend, not yet sent
	events  []protocol.Event
	dropped int
	ready   chan struct{} // capacity 1: "something is waiting"
}

func newOutbox(log *slog.Logger) *outbox {
	return &outbox{log: log, updates: map[string]protocol.Backend{}, ready: make(chan struct{}, 1)}
}

// backendChanged is the supervisor's OnChange.
func (o *outbox) backendChanged(b protocol.Backend) {
	o.mu.Lock()
	o.updates[b.Name] = b
	o.mu.Unlock()
	o.signal()
}

// backendEvent is the supervisor's OnEvent.
func (o *outbox) backendEvent(backend string, msg *jsonrpc.Request) {
	raw, err := mcp.EncodeMessage(msg)
	if err != nil {
		o.log.Warn("drop backend event: cannot encode", "backend", backend, "err", err)
		return
	}
	o.mu.Lock()
	switch {
	case !o.open:
		// No hub to tell; the hub re-reads state after it welcomes us.
	case len(o.events) >= maxQueuedEvents:
		o.dropped++
	default:
		o.events = append(o.events, protocol.Event{Backend: backend, Message: raw})
	}
	o.mu.Unlock()
	o.signal()
}

func (o *outbox) signal() {
	select {
	case o.ready <- struct{}{}:
	default:
	}
}

// reset forgets pending updates just before a hello takes fresh snapshots; changes after
// this point are sent again as updates, which is harmless because updates are full entries.
func (o *outbox) reset() {
	o.mu.Lock()
	clear(o.updates)
	o.events, o.open = nil, false
	o.mu.Unlock()
}

// setOpen starts or stops keeping events.
func (o *outbox) setOpen(open bool) {
	o.mu.Lock()
	o.open = open
	if !open {
		o.events = nil
	}
	o.mu.Unlock()
}

// take returns and clears what is pending, and how many events were dropped since last time.
func (o *outbox) take() (up protocol.Update, events []protocol.Event, dropped int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, b := range o.updates {
		up.Backends = append(up.Backends, b)
	}
	clear(o.updates)
	slices.SortFunc(up.Backends, func(a, b protocol.Backend) int { return strings.Compare(a.Name, b.Name) })
	events, o.events = o.events, nil
	dropped, o.dropped = o.dropped, 0
	return up, events, dropped
}
