package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// ServeHTTP serves POST CallPath: a call another hub forwards for an agent this hub holds.
// The request body carries the Call frame, then Response frames (the client's answers) and
// a Cancel; the response body carries Notify and Request frames, then a Result, or a
// Refusal frame whose code says why there is none (agent_gone, deadline, cancelled, error).
// RBAC, policy and audit happened on the calling hub: this one runs the call on the
// agent's tunnel and records nothing (docs/SCALING.md).
func (n *Node) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	from, agentID, err := verify(r, n.opts.Key, time.Now())
	if err != nil {
		n.log.Warn("forwarded call refused", "remote", r.RemoteAddr, "claimed_hub", r.Header.Get(headerHub), "err", err)
		w.Header().Set("WWW-Authenticate", `Cluster realm="mcp-gateway"`)
		http.Error(w, "missing or bad cluster credential: hubs of a cluster share MCPGW_CLUSTER_KEY (or the master key)", http.StatusUnauthorized)
		return
	}
	if r.ProtoMajor != 2 {
		// The call is a conversation in both directions at once, which only HTTP/2 carries
		// safely (an HTTP/1 handler may not read its body after it returns).
		http.Error(w, "the cluster channel is HTTP/2 (h2c without TLS)", http.StatusHTTPVersionNotSupported)
		return
	}
	t, payload, err := protocol.ReadFrame(r.Body)
	var frame protocol.Call
	if err == nil && t != protocol.TypeCall {
		err = fmt.Errorf("first frame is %s, want call", t)
	}
	if err == nil {
		err = protocol.Decode(t, payload, &frame)
	}
	var req *jsonrpc.Request
	if err == nil {
		req, err = frame.Request()
	}
	if err != nil {
		http.Error(w, "bad call frame: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	out := &flushWriter{w: w, rc: http.NewResponseController(w)}
	fw := protocol.NewFrameWriter(out)
	_ = out.rc.Flush()

	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	if frame.Deadline > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithDeadline(ctx, time.UnixMilli(frame.Deadline))
		defer stop()
	}
	sink := &remoteSink{w: fw, waiting: map[string]chan *jsonrpc.Response{}}
	reading := make(chan struct{})
	go func() { defer close(reading); sink.read(r.Body, cancel) }()
	defer func() {
		// The calling hub closes its side after the result; one that does not is cut off
		// when the handler returns (HTTP/2 resets the stream, which ends the read).
		select {
		case <-reading:
		case <-time.After(cancelGrace):
		}
	}()
	if n.opts.OnCall != nil {
		defer n.opts.OnCall(agentID)()
	}
	n.log.Debug("forwarded call", "from_hub", from, "agent", agentID, "backend", frame.Backend, "method", req.Method)
	resp, err := n.opts.Agents.Call(ctx, agentID, frame.Backend, &backend.Call{Request: req, Caller: frame.Caller,
		ClientCapabilities: frame.ClientCapabilities, PassInputRequired: frame.PassInputRequired, LogLevel: frame.LogLevel, Sink: sink})
	if err != nil {
		code := failError
		switch {
		case errors.Is(err, agents.ErrAgentGone):
			code = failAgentGone
		case errors.Is(err, context.DeadlineExceeded):
			code = failDeadline
		case ctx.Err() != nil:
			code = failCancelled
		}
		_ = fw.WriteJSON(protocol.TypeRefusal, protocol.Refusal{Code: code, Message: err.Error()})
		return
	}
	_ = fw.WriteMessage(protocol.TypeResult, resp)
}

// flushWriter flushes each frame at once: they are a conversation, not a download.
type flushWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

// remoteSink is the sink of a forwarded call: notifications and requests go back to the
// calling hub as frames; its answers come in on the request body.
type remoteSink struct {
	w       *protocol.FrameWriter
	mu      sync.Mutex
	waiting map[string]chan *jsonrpc.Response
	ended   bool
}

func idKey(id jsonrpc.ID) string { return fmt.Sprintf("%T:%v", id.Raw(), id.Raw()) }

func (s *remoteSink) Notify(msg *jsonrpc.Request) { _ = s.w.WriteMessage(protocol.TypeNotify, msg) }

func (s *remoteSink) Request(ctx context.Context, req *jsonrpc.Request) (*jsonrpc.Response, error) {
	ch := make(chan *jsonrpc.Response, 1)
	k := idKey(req.ID)
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return nil, errors.New("the calling hub ended the call")
	}
	s.waiting[k] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiting, k)
		s.mu.Unlock()
	}()
	if err := s.w.WriteMessage(protocol.TypeRequest, req); err != nil {
		return nil, err
	}
	select {
	case resp := <-ch:
		if resp == nil {
			return nil, errors.New("the calling hub ended the call")
		}
		return resp, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// read takes the calling hub's frames until its body ends: answers to requests, and Cancel.
// The body ending before a Cancel (the calling hub went away) cancels the call too.
func (s *remoteSink) read(body io.Reader, cancel context.CancelCauseFunc) {
	defer func() {
		s.mu.Lock()
		s.ended = true
		for _, ch := range s.waiting {
			select {
			case ch <- nil:
			default:
			}
		}
		s.mu.Unlock()
	}()
	for {
		t, payload, err := protocol.ReadFrame(body)
		if err != nil {
			cancel(errors.New("the calling hub ended the call"))
			return
		}
		switch t {
		case protocol.TypeResponse:
			resp, err := protocol.DecodeResponse(t, payload)
			if err != nil || resp == nil {
				continue
			}
			s.mu.Lock()
			ch := s.waiting[idKey(resp.ID)]
			s.mu.Unlock()
			if ch != nil {
				select {
				case ch <- resp:
				default:
				}
			}
		case protocol.TypeCancel:
			var c protocol.Cancel
			_ = protocol.Decode(t, payload, &c)
			reason := c.Reason
			if reason == "" {
				reason = "the caller gave up"
			}
			cancel(errors.New(reason))
			return
		}
	}
}
