package backend

import (
	"context"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// noteQueue bounds the notifications waiting for one call's client; more are dropped
// (progress and log messages are advisory), never allowed to block the backend.
const noteQueue = 256

// notes hands one call's notifications to its sink on a goroutine of their own, so a slow or
// stalled client never blocks the backend's reader, which every client shares.
type notes struct {
	mu      sync.Mutex
	ch      chan *jsonrpc.Request
	done    chan struct{}
	closed  bool
	dropped int
}

// notify queues msg for the call's sink, starting the call's deliverer on first use.
func (p *pending) notify(msg *jsonrpc.Request) {
	n := &p.notes
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || p.sink == nil {
		return
	}
	if n.ch == nil {
		n.ch, n.done = make(chan *jsonrpc.Request, noteQueue), make(chan struct{})
		go deliverNotes(p.sink, n.ch, n.done)
	}
	select {
	case n.ch <- msg:
	default:
		n.dropped++
	}
}

func deliverNotes(sink Sink, ch <-chan *jsonrpc.Request, done chan<- struct{}) {
	defer close(done)
	for msg := range ch {
		sink.Notify(msg)
	}
}

// flush ends the call's notifications. Those already queued reach the client before the
// call returns (a client sees progress before the result), unless ctx ends first.
func (p *pending) flush(ctx context.Context) (dropped int) {
	n := &p.notes
	n.mu.Lock()
	n.closed = true
	ch, done := n.ch, n.done
	if ch != nil {
		close(ch)
		n.ch = nil
	}
	dropped = n.dropped
	n.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	return dropped
}
