package agents

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// Call sends the call's JSON-RPC message to a backend of an agent over a call stream (an
// idle lane, or a new stream; see lanes.go) and returns the backend's response (nil for a notification). The call frame carries the call's
// caller, client capabilities and era; its progress and log notifications go to c.Sink.Notify
// and server→client requests to c.Sink.Request while the call runs (c.Sink may be nil).
// When ctx ends the agent is told to cancel and Call returns ctx.Err() at once. An agent that
// is not connected, or that disconnects during the call, gives an error matching ErrAgentGone.
func (r *Registry) Call(ctx context.Context, agentID, backendName string, bc *backend.Call) (*jsonrpc.Response, error) {
	s := r.current(agentID)
	if s == nil {
		return nil, &AgentError{Agent: agentID, Reason: "is not connected"}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	msg, err := mcp.EncodeMessage(bc.Request)
	if err != nil {
		return nil, fmt.Errorf("call agent %q backend %q: %w", agentID, backendName, err)
	}
	ln, reused, err := s.lane()
	if err != nil {
		return nil, &AgentError{Agent: agentID, Reason: "disconnected", Err: err}
	}
	c := &call{s: s, ln: ln, st: ln.st, w: ln.w, sink: bc.Sink}
	// The agent derives the call's owner from the caller (KeyID and Session).
	frame := protocol.Call{Backend: backendName, Message: msg, Caller: bc.Caller,
		ClientCapabilities: bc.ClientCapabilities, PassInputRequired: bc.PassInputRequired, LogLevel: bc.LogLevel}
	if d, ok := ctx.Deadline(); ok {
		// Rounded up, so that the agent's deadline never fires before the hub's own.
		frame.Deadline = d.Add(time.Millisecond - time.Nanosecond).UnixMilli()
	}
	err = c.w.WriteCall(&frame)
	if err != nil && reused && !s.gone() {
		// Nothing of the call reached the agent on a lane that broke while idle: try a new
		// stream.
		_ = ln.st.Close()
		if ln, err = s.open(); err != nil {
			return nil, &AgentError{Agent: agentID, Reason: "disconnected", Err: err}
		}
		c.ln, c.st, c.w = ln, ln.st, ln.w
		err = c.w.WriteCall(&frame)
	}
	if err != nil {
		c.close(false)
		return nil, c.failed(ctx, err)
	}
	cancelled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(cancelled)
		c.cancel(context.Cause(ctx))
	})
	resp, err := c.wait(ctx)
	stopped := stop()
	if !stopped {
		<-cancelled
	}
	// A lane is kept only when the exchange ended with its Result and no cancel. Answers
	// to server→client requests still being written go out before the lane is reused
	// (close waits for them), so the agent reads them before the next Call.
	c.close(err == nil && stopped)
	return resp, err
}

// call is one call stream on the hub's side.
type call struct {
	s    *session
	ln   *lane
	st   tunnel.Stream
	w    *protocol.FrameWriter
	sink backend.Sink

	answering sync.WaitGroup // goroutines answering server→client requests
}

// wait reads the agent's frames until the result.
func (c *call) wait(ctx context.Context) (*jsonrpc.Response, error) {
	// The answerers' context, made with the call's first server→client request (most calls
	// have none), ends when wait returns.
	answers := lazyCancel{parent: ctx}
	defer answers.stop()
	for {
		t, payload, err := protocol.ReadFrame(c.st)
		if err != nil {
			return nil, c.failed(ctx, err)
		}
		switch t {
		case protocol.TypeNotify:
			c.notify(payload)
		case protocol.TypeRequest:
			req, err := protocol.DecodeRequest(t, payload)
			if err != nil {
				return nil, fmt.Errorf("agent %q sent a bad request frame: %w", c.s.id, err)
			}
			actx := answers.get()
			c.answering.Go(func() { c.answer(actx, req) })
		case protocol.TypeResult:
			if err := Expired(ctx); err != nil {
				return nil, err // the agent answered the expiry of the same deadline; say so the same way
			}
			return c.result(t, payload)
		default:
			return nil, fmt.Errorf("agent %q sent an unexpected %s frame on a call stream", c.s.id, t)
		}
	}
}

// lazyCancel is a context.WithCancel of parent made on first use.
type lazyCancel struct {
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
}

func (l *lazyCancel) get() context.Context {
	if l.ctx == nil {
		l.ctx, l.cancel = context.WithCancel(l.parent)
	}
	return l.ctx
}

func (l *lazyCancel) stop() {
	if l.cancel != nil {
		l.cancel()
	}
}

// failed turns a stream error into the call's error: the caller's, or the agent's departure.
func (c *call) failed(ctx context.Context, err error) error {
	if err := Expired(ctx); err != nil {
		return err
	}
	if c.s.gone() {
		return &AgentError{Agent: c.s.id, Reason: "disconnected during the call", Err: err}
	}
	return fmt.Errorf("agent %q ended the call without a result: %w", c.s.id, err)
}

func (c *call) notify(payload []byte) {
	if c.sink == nil {
		return
	}
	if req, err := protocol.DecodeRequest(protocol.TypeNotify, payload); err == nil {
		c.sink.Notify(req)
	}
}

// answer asks the client a server→client request and sends the answer down the stream.
func (c *call) answer(ctx context.Context, req *jsonrpc.Request) {
	resp := &jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{
		Code: jsonrpc.CodeMethodNotFound, Message: "the client cannot answer " + req.Method}}
	if c.sink != nil {
		got, err := c.sink.Request(ctx, req)
		switch {
		case err != nil:
			resp.Error = protocol.WireError(err)
		case got != nil:
			resp = &jsonrpc.Response{ID: req.ID, Result: got.Result, Error: got.Error}
		}
	}
	_ = c.w.WriteMessage(protocol.TypeResponse, resp)
}

// result decodes the Result frame: nil when the message was a notification.
func (c *call) result(t protocol.Type, payload []byte) (*jsonrpc.Response, error) {
	resp, err := protocol.DecodeResponse(t, payload)
	if err != nil {
		return nil, fmt.Errorf("agent %q sent a bad result: %w", c.s.id, err)
	}
	return resp, nil
}

// cancel runs when the caller gives up: it unblocks wait, tells the agent, and closes.
func (c *call) cancel(cause error) {
	_ = c.st.SetReadDeadline(time.Now())
	reason := "the caller gave up"
	if cause != nil {
		reason = cause.Error()
	}
	_ = c.w.WriteJSONVia(bounded(c.st, cancelTimeout), protocol.TypeCancel, protocol.Cancel{Reason: reason})
	_ = c.st.Close()
}

// close waits for the request answerers, whose context is done by now, and keeps the
// stream as an idle lane when keep (and the agent speaks lanes), else closes it.
func (c *call) close(keep bool) {
	c.answering.Wait()
	if keep && c.s.reuse {
		c.s.lanes.put(c.ln, time.Now())
		return
	}
	_ = c.st.Close()
}

// Expired is ctx.Err(), or DeadlineExceeded once the deadline has passed even if ctx's
// timer has not fired yet (it can lag on a loaded machine): a call's own ending, told apart
// from the agent's, wherever the call stream runs (here, or forwarded between hubs).
func Expired(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}
