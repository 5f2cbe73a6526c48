package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
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
	tracer       *tracing.Tracer // nil: tracing is off
}

// serve runs one call stream: Call frame in; Notify and Request frames out while the backend
// works, Response and Cancel frames in; the Result frame out. With a hub of capability 3 or
// later (reuse) the stream is a lane: after the Result it waits for the lane's next Call, and
// only the hub closes it; with an older hub the agent half-closes after the Result and the
// stream ends. Either way this goroutine is the stream's only reader, and it hands each
// Cancel and Response to the call in flight.
func (c *callServer) serve(ctx context.Context, s stream, reuse bool) {
	defer s.Close()
	var cur *running
	defer func() {
		if cur != nil {
			cur.cancel()
			<-cur.done
		}
	}()
	w := newFrameWriter(s, c.writeTimeout)
	// The stream's calls run one after another on one worker goroutine, started with the
	// first call: a new goroutine per call would grow its stack again (backend call, JSON
	// scans) on every call of a lane. The reader stays free for Cancel and Response frames.
	var jobs chan func()
	defer func() {
		if jobs != nil {
			close(jobs)
		}
	}()
	run := func(job func()) {
		if jobs == nil {
			jobs = make(chan func(), 1)
			go func() {
				for job := range jobs {
					job()
				}
			}()
		}
		jobs <- job
	}
	for first := true; ; first = false {
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
			return
		}
		switch t {
		case protocol.TypeCall:
			if cur != nil {
				select {
				case <-cur.answered:
				default:
					c.log.Warn("a call frame arrived on a stream whose call is still running")
					return
				}
				cur.cancel()
				<-cur.done
				cur = nil
			}
			var call protocol.Call
			if err := protocol.Decode(t, payload, &call); err != nil {
				c.log.Warn("bad call frame", "err", err)
				return
			}
			cur = c.start(ctx, s, w, &call, reuse, run)
		case protocol.TypeCancel:
			var m protocol.Cancel
			_ = protocol.Decode(t, payload, &m)
			if cur != nil {
				c.log.Debug("call cancelled by the hub", "reason", m.Reason)
				cur.cancel()
			}
		case protocol.TypeResponse:
			// An answer may come after its call ended (the backend stopped waiting): the
			// hub writes it before the lane's next Call, so it is dropped here.
			if cur == nil {
				c.log.Debug("response frame from the hub with no call running")
				continue
			}
			if err := cur.sink.deliver(payload); err != nil {
				select {
				case <-cur.answered:
					c.log.Debug("response frame for a call that has ended", "err", err)
				default:
					c.log.Warn("bad response frame from the hub", "err", err)
				}
			}
		default:
			c.log.Warn("unexpected frame on a call stream", "frame", t.String())
			return
		}
	}
}

// running is the call in flight on a stream.
type running struct {
	sink     *streamSink
	cancel   context.CancelFunc
	answered chan struct{} // closed just before the Result frame is written
	done     chan struct{} // closed when the call's goroutine has returned
}

// start runs the call with run (on the stream's worker goroutine), so that the stream's
// reader stays free for the hub's Cancel and Response frames.
func (c *callServer) start(ctx context.Context, s stream, w *protocol.FrameWriter, call *protocol.Call, reuse bool, run func(func())) *running {
	ctx, cancel := callContext(ctx, call.Deadline)
	r := &running{sink: &streamSink{w: w, log: c.log}, cancel: cancel,
		answered: make(chan struct{}), done: make(chan struct{})}
	run(func() {
		defer close(r.done)
		defer cancel()
		var resp *jsonrpc.Response
		var recv trace.Span // the call's span when tracing is on (tracing.go)
		if req, err := call.Request(); err != nil {
			resp = protocol.ErrorResponse(jsonrpc.ID{}, jsonrpc.CodeInvalidRequest,
				fmt.Sprintf("agent %q: backend %q: %v", c.agentID, call.Backend, err))
		} else {
			if c.tracer != nil {
				ctx, recv = c.traceReceive(ctx, call, req)
			}
			resp = c.call(ctx, call, backendCall(call, req, r.sink))
		}
		// The hub sends a lane's next Call only after this Result, so the reader, seeing
		// it, knows the call is over.
		close(r.answered)
		c.finish(s, w, resp, reuse)
		if recv != nil {
			endSpan(recv, resp, nil)
		}
	})
	return r
}

// backendCall is the call frame as the backend sees it: the hub's facts about the call, and
// the stream as the sink of its mid-call messages.
func backendCall(call *protocol.Call, req *jsonrpc.Request, sink backend.Sink) *backend.Call {
	return &backend.Call{Request: req, Caller: call.Caller, Owner: ownerOf(call.Caller),
		ClientCapabilities: call.ClientCapabilities, PassInputRequired: call.PassInputRequired, LogLevel: call.LogLevel, Sink: sink}
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
	var sp trace.Span
	if c.tracer != nil {
		ctx, sp = c.traceBackend(ctx, call.Backend, req)
	}
	resp, err := c.backends.Call(ctx, call.Backend, bc)
	took := time.Since(start)
	if sp != nil {
		endSpan(sp, resp, err)
	}
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
