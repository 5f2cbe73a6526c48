package upstream

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// errBusy: the backend's slots and its wait queue are full.
var errBusy = errors.New("backend busy")

// gate holds one backend's slots, wait queue, breaker and counters.
type gate struct {
	mu       sync.Mutex
	inFlight int
	limit    int             // MaxConcurrent as of the last acquire: a changed setting applies
	waiting  []chan struct{} // FIFO; closing a channel hands its waiter a slot
	br       breaker

	timedOut, rejectedBusy, rejectedOpen atomic.Uint64
	// Answers the backend connection made for a message it could not pass on: a result over
	// max_message_bytes, or a line that is not JSON-RPC (the call failed alone).
	tooLarge, malformed atomic.Uint64
}

// acquire takes a slot, waiting in the queue if there is room, until ctx ends.
func (g *gate) acquire(ctx context.Context, lim Limits) error {
	g.mu.Lock()
	g.limit = lim.MaxConcurrent
	if g.inFlight < g.limit && len(g.waiting) == 0 {
		g.inFlight++
		g.mu.Unlock()
		return nil
	}
	if len(g.waiting) >= lim.MaxQueue {
		g.mu.Unlock()
		return errBusy
	}
	ch := make(chan struct{})
	g.waiting = append(g.waiting, ch)
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if i := slices.Index(g.waiting, ch); i >= 0 {
		g.waiting = slices.Delete(g.waiting, i, i+1)
		return ctx.Err()
	}
	g.releaseLocked() // a slot was handed over just as ctx ended: pass it on
	return ctx.Err()
}

func (g *gate) release() {
	g.mu.Lock()
	g.releaseLocked()
	g.mu.Unlock()
}

// releaseLocked hands the slot to the first waiter, or frees it (also when the limit was
// lowered and more calls run than it allows).
func (g *gate) releaseLocked() {
	if len(g.waiting) > 0 && g.inFlight <= g.limit {
		close(g.waiting[0])
		g.waiting = g.waiting[1:]
		return
	}
	g.inFlight--
}

func (g *gate) admit(now time.Time) (probe bool, retryAfter time.Duration, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.br.admit(now)
}

func (g *gate) settle(probe bool, out outcome, cause string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.br.settle(probe, out, cause, now)
}

// Status is one backend's bounds state, for the REST API and metrics.
type Status struct {
	Agent, Backend string
	Breaker        string        // BreakerClosed, BreakerOpen or BreakerHalfOpen
	Failures       int           // consecutive failures counted by the breaker
	LastFailure    string        // the last of them
	RetryAfter     time.Duration // while open: until a probe is let through
	InFlight       int
	Queued         int
	// Counters since the hub started.
	TimedOut, RejectedBusy, RejectedOpen, Opened uint64
	// Calls that failed because the backend's answer was over max_message_bytes
	// (TooLarge) or not valid JSON-RPC (Malformed); the backend kept running.
	TooLarge, Malformed uint64
}

func (g *gate) status(k key, now time.Time) Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := Status{
		Agent: k.agent, Backend: k.backend, Breaker: g.br.state.String(), Failures: g.br.failures,
		LastFailure: g.br.lastFailure, InFlight: g.inFlight, Queued: len(g.waiting), Opened: g.br.opened,
		TimedOut: g.timedOut.Load(), RejectedBusy: g.rejectedBusy.Load(), RejectedOpen: g.rejectedOpen.Load(),
		TooLarge: g.tooLarge.Load(), Malformed: g.malformed.Load(),
	}
	if g.br.state == stateOpen && now.Before(g.br.until) {
		st.RetryAfter = g.br.until.Sub(now)
	}
	return st
}

// countBadAnswer counts a call that failed because the backend's message for it was over its
// size limit or malformed (shared/backend answers those with their own codes, on the hub and
// on agents alike).
func (g *gate) countBadAnswer(resp *jsonrpc.Response) {
	if resp == nil || resp.Error == nil {
		return
	}
	var we *jsonrpc.Error
	if !errors.As(resp.Error, &we) {
		return
	}
	switch we.Code {
	case mcp.CodeResultTooLarge:
		g.tooLarge.Add(1)
	case mcp.CodeBadBackendMessage:
		g.malformed.Add(1)
	}
}
