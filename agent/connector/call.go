package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// backendSet is what the connector needs from the backend supervisor; *backend.Set has it.
type backendSet interface {
	Snapshots() []protocol.Backend
	Call(ctx context.Context, backend string, c *backend.Call) (*jsonrpc.Response, error)
}

var _ backendSet = (*backend.Set)(nil)

// Error codes of the Results the agent makes itself when the backend gives no answer; the
// message names agent and backend. CodeUnavailable (unknown backend, not ready, gone during
// the call) is the code the hub uses for an unreachable hub-local backend or agent, so a client
// sees the same code wherever the backend runs; anything else is JSON-RPC's internal error.
const (
	CodeUnavailable = -32002
	CodeInternal    = jsonrpc.CodeInternalError
)

// callServer serves the streams the hub opens, one call each.
type callServer struct {
	agentID      string
	backends     backendSet
	log          *slog.Logger
	writeTimeout time.Duration // per frame
	firstFrame   time.Duration // how long the hub may take to send the Call frame
	linger       time.Duration // how long to wait for the hub's close after the Result
	status       *status.Tracker
}

// serve runs one call stream: Call frame in; Notify and Request frames out while the backend
// works, Response and Cancel frames in; the Result frame out. With a hub of capability 3 or
// later (reuse) the stream is a lane: after the Result it waits for the lane's next Call, and
// only the hub closes it; with an older hub the agent half-closes after the Result and the
// stream ends. One goroutine at a time reads the stream, and it hands each Cancel and
// Response to the call in flight.
//
// A call runs on the goroutine that read its Call frame: no hand-off to a worker, which
// cost a wake-up per call. If the call outlasts inlineFor or sends a server→client request
// (its answer comes as a frame), the reading passes to the lane's second goroutine (started
// the first time), which reads, and runs the next call in turn; the first one, its call
// done, waits to be handed the reading back. After a call that outlasted inlineFor the next
// one hands the reading over at once (a busy backend: no timer to wait for). A lane has at
// most these two goroutines, and each keeps the stack its calls grew.
func (c *callServer) serve(ctx context.Context, s stream, reuse bool) {
	l := &lane{c: c, ctx: ctx, s: s, w: newFrameWriter(s, c.writeTimeout), reuse: reuse,
		turn: make(chan struct{}, 1), ended: make(chan struct{})}
	l.loop(true)
	l.second.Wait()
}

// inlineFor is how long a call runs on the goroutine that read it before the reading passes
// to the lane's other goroutine; it bounds how late a Cancel frame is seen.
const inlineFor = 2 * time.Millisecond

// lane is one call stream on the agent's side.
type lane struct {
	c     *callServer
	ctx   context.Context
	s     stream
	w     *protocol.FrameWriter
	reuse bool
	cur   *running // the call in flight; only the goroutine that reads touches it

	turn    chan struct{} // holds the reading turn while it passes between the goroutines
	ended   chan struct{} // closed when the stream has ended
	started bool          // the second goroutine runs; only the reader touches it
	slow    atomic.Bool   // the lane's last call outlasted inlineFor
	second  sync.WaitGroup
}

// loop reads while this goroutine holds the reading turn, and waits for it otherwise, until
// the stream ends.
func (l *lane) loop(first bool) {
	for {
		if l.read(first) {
			return
		}
		first = false
		select {
		case <-l.turn:
		case <-l.ended:
			return
		}
	}
}

// read reads frames until the stream ends (then it ends the lane: the call in flight ends,
// the stream is closed, and ended is closed) and returns true, or until a call it ran passed
// the reading to the other goroutine, and returns false.
func (l *lane) read(first bool) (ended bool) {
	c, s := l.c, l.s
	defer func() {
		if !ended {
			return
		}
		if l.cur != nil {
			l.cur.cancel()
			<-l.cur.done
		}
		_ = s.Close()
		close(l.ended)
	}()
	for ; ; first = false {
		if first {
			_ = s.SetReadDeadline(time.Now().Add(c.firstFrame))
		}
		t, payload, err := protocol.ReadFrame(s)
		if first {
			_ = s.SetReadDeadline(time.Time{})
		}
		if err != nil {
			if first {
				c.log.Debug("call stream closed before its call frame", "err", err)
			}
			return true
		}
		switch t {
		case protocol.TypeCall:
			if cur := l.cur; cur != nil {
				select {
				case <-cur.answered:
				default:
					c.log.Warn("a call frame arrived on a stream whose call is still running")
					return true
				}
				cur.cancel()
				<-cur.done
				l.cur = nil
			}
			var call protocol.Call
			if err := protocol.Decode(t, payload, &call); err != nil {
				c.log.Warn("bad call frame", "err", err)
				return true
			}
			r, job := c.start(l.ctx, s, l.w, &call, l.reuse)
			l.cur = r
			if l.runInline(r, job) {
				return false
			}
		case protocol.TypeCancel:
			var m protocol.Cancel
			_ = protocol.Decode(t, payload, &m)
			if l.cur != nil {
				c.log.Debug("call cancelled by the hub", "reason", m.Reason)
				l.cur.cancel()
			}
		case protocol.TypeResponse:
			// An answer may come after its call ended (the backend stopped waiting): the
			// hub writes it before the lane's next Call, so it is dropped here.
			if l.cur == nil {
				c.log.Debug("response frame from the hub with no call running")
				continue
			}
			if err := l.cur.sink.deliver(payload); err != nil {
				select {
				case <-l.cur.answered:
					c.log.Debug("response frame for a call that has ended", "err", err)
				default:
					c.log.Warn("bad response frame from the hub", "err", err)
				}
			}
		default:
			c.log.Warn("unexpected frame on a call stream", "frame", t.String())
			return true
		}
	}
}

// runInline runs job here. If it outlasts inlineFor, or its call sends a server→client
// request, the reading passes to the other goroutine, and runInline reports true.
func (l *lane) runInline(r *running, job func()) (passed bool) {
	start := !l.started
	l.started = true
	if start {
		l.second.Add(1)
	}
	var taken atomic.Bool // set by whichever comes first: the hand-over or the job's end
	taken.Store(false)    // orders l.cur and l.started before a hand-over's reads of them
	handOver := func() {
		if !taken.CompareAndSwap(false, true) {
			return
		}
		if start {
			go func() {
				defer l.second.Done()
				l.loop(false)
			}()
		} else {
			l.turn <- struct{}{} // never blocks: the turn is held once, or waits here
		}
	}
	r.sink.needReader = handOver
	var t *time.Timer
	if l.slow.Load() {
		// The lane's last call outlasted inlineFor (a busy backend): this one probably will
		// too, and the hand-over is cheaper now than from a timer's goroutine later.
		handOver()
	} else {
		t = time.AfterFunc(inlineFor, handOver)
	}
	began := time.Now()
	job()
	if t != nil {
		t.Stop()
	}
	l.slow.Store(time.Since(began) >= inlineFor)
	if taken.CompareAndSwap(false, true) {
		if start { // not needed after all
			l.started = false
			l.second.Done()
		}
		return false
	}
	return true
}

// running is the call in flight on a stream.
type running struct {
	sink     *streamSink
	cancel   context.CancelFunc
	answered chan struct{} // closed just before the Result frame is written
	done     chan struct{} // closed when the call's job has returned
}

// start prepares the call and returns the job that runs it and writes its Result; the
// caller runs the job (lane.read).
func (c *callServer) start(ctx context.Context, s stream, w *protocol.FrameWriter, call *protocol.Call, reuse bool) (*running, func()) {
	ctx, cancel := callContext(ctx, call.Deadline)
	r := &running{sink: &streamSink{w: w, log: c.log}, cancel: cancel,
		answered: make(chan struct{}), done: make(chan struct{})}
	return r, func() {
		defer close(r.done)
		defer cancel()
		var resp *jsonrpc.Response
		if req, err := call.Request(); err != nil {
			resp = protocol.ErrorResponse(jsonrpc.ID{}, jsonrpc.CodeInvalidRequest,
				fmt.Sprintf("agent %q: backend %q: %v", c.agentID, call.Backend, err))
		} else {
			resp = c.call(ctx, call, backendCall(call, req, r.sink))
		}
		// The hub sends a lane's next Call only after this Result, so the reader, seeing
		// it, knows the call is over.
		close(r.answered)
		c.finish(s, w, resp, reuse)
	}
}

// backendCall is the call frame as the backend sees it: the hub's facts about the call, and
// the stream as the sink of its mid-call messages.
func backendCall(call *protocol.Call, req *jsonrpc.Request, sink backend.Sink) *backend.Call {
	return &backend.Call{Request: req, Caller: call.Caller, Owner: ownerOf(call.Caller),
		ClientCapabilities: call.ClientCapabilities, PassInputRequired: call.PassInputRequired, Sink: sink}
}

// ownerOf names the hub's client session of the call, so the backend never hands one
// client's server→client request or log message to another.
func ownerOf(c protocol.Caller) string {
	if c.KeyID == "" && c.Session == "" {
		return ""
	}
	return c.KeyID + "/" + c.Session
}

// call runs the request on the backend and always returns what the Result frame carries:
// nil only for a notification.
func (c *callServer) call(ctx context.Context, call *protocol.Call, bc *backend.Call) *jsonrpc.Response {
	req := bc.Request
	start := time.Now()
	resp, err := c.backends.Call(ctx, call.Backend, bc)
	took := time.Since(start)
	if c.log.Enabled(ctx, slog.LevelDebug) { // its arguments cost allocations on every call
		c.log.Debug("call", "backend", call.Backend, "method", req.Method, "caller", call.Caller.Name,
			"user", call.Caller.UserID, "role", call.Caller.Role, "application", call.Caller.Application,
			"duration", took, "err", err)
	}
	if err != nil && req.IsCall() {
		resp = c.failure(req.ID, call.Backend, err)
	}
	if c.status != nil && req.IsCall() {
		c.status.Call(callRecord(ctx, call, req, resp, start, took))
	}
	if err != nil && !req.IsCall() {
		return nil
	}
	return resp
}

// failure is the error Result for a call the backend gave no answer to; its data tells the
// hub so (protocol.CallFailure), and its code is the one the hub uses for the same case.
func (c *callServer) failure(id jsonrpc.ID, backendName string, err error) *jsonrpc.Response {
	code, why := int64(CodeInternal), protocol.FailureInternal
	switch {
	case errors.Is(err, backend.ErrUnknownBackend):
		code, why = CodeUnavailable, protocol.FailureUnknownBackend
	case errors.Is(err, backend.ErrNotReady) || errors.Is(err, backend.ErrGone):
		code, why = CodeUnavailable, protocol.FailureUnavailable
	}
	data, _ := json.Marshal(protocol.CallFailure{Failure: why})
	return &jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: code, Message: c.describe(backendName, err), Data: data}}
}

// callRecord describes a finished call for the status tracker.
func callRecord(ctx context.Context, call *protocol.Call, req *jsonrpc.Request, resp *jsonrpc.Response, start time.Time, took time.Duration) status.Call {
	rec := status.Call{Time: start, Caller: call.Caller.Name, Application: call.Caller.Application,
		Backend: call.Backend, Tool: req.Method, Status: status.CallOK, Duration: took}
	if rec.Caller == "" {
		rec.Caller = call.Caller.KeyID
	}
	if req.Method == "tools/call" {
		if name := toolName(req.Params); name != "" {
			rec.Tool = name
		}
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		rec.Status = status.CallTimeout
	case ctx.Err() != nil:
		rec.Status = status.CallCancelled
	case resp != nil && resp.Error != nil:
		rec.Status, rec.Error = status.CallError, resp.Error.Error()
	case resp != nil && req.Method == "tools/call":
		if msg, failed := status.ToolError(resp.Result); failed {
			rec.Status, rec.Error = status.CallError, msg // isError: an answer, but a failed call
		}
	}
	return rec
}

// describe names the agent and the backend in an error message, once each.
func (c *callServer) describe(backendName string, err error) string {
	if named := fmt.Sprintf("backend %q", backendName); strings.Contains(err.Error(), named) {
		return fmt.Sprintf("agent %q: %v", c.agentID, err)
	}
	return fmt.Sprintf("agent %q: backend %q: %v", c.agentID, backendName, err)
}

// finish writes the Result frame (empty for a notification). Unless the stream is a lane
// (reuse), it half-closes the stream and gives the hub a moment to close its side, which
// ends the reader.
func (c *callServer) finish(s stream, w *protocol.FrameWriter, resp *jsonrpc.Response, reuse bool) {
	err := w.WriteMessage(protocol.TypeResult, resp)
	if errors.Is(err, protocol.ErrEncode) {
		err = w.WriteMessage(protocol.TypeResult, protocol.ErrorResponse(resp.ID, CodeInternal,
			fmt.Sprintf("agent %q: cannot encode the backend's response: %v", c.agentID, err)))
	}
	if err != nil {
		c.log.Debug("result not delivered", "err", err)
	}
	if !reuse {
		_ = s.Close()
		_ = s.SetReadDeadline(time.Now().Add(c.linger))
	}
}

func callContext(ctx context.Context, deadline int64) (context.Context, context.CancelFunc) {
	if deadline > 0 {
		return context.WithDeadline(ctx, time.UnixMilli(deadline))
	}
	return context.WithCancel(ctx)
}
