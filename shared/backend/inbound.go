package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// serverRequest handles a request from the server. ping is answered here; sampling,
// elicitation and roots go to the client chosen by requestTarget.
func (s *session) serverRequest(req *jsonrpc.Request) {
	switch req.Method {
	case "ping":
		s.send(&jsonrpc.Response{ID: req.ID, Result: json.RawMessage(`{}`)})
		return
	case "sampling/createMessage", "elicitation/create", "roots/list":
	default:
		s.replyError(req.ID, jsonrpc.CodeMethodNotFound, "method not found: "+req.Method)
		return
	}
	parent, sink, err := s.requestTarget(req)
	if err != nil {
		s.replyError(req.ID, jsonrpc.CodeInternalError,
			fmt.Sprintf("cannot tell which client should answer %s: %v (%s)", req.Method, err, s.unlinkedWhy()))
		return
	}
	if sink == nil {
		s.replyError(req.ID, jsonrpc.CodeMethodNotFound, "no client request in progress to answer "+req.Method)
		return
	}
	ctx, cancel := context.WithCancel(parent)
	stop := context.AfterFunc(s.ctx, cancel)
	s.mu.Lock()
	s.serverReqs[req.ID] = cancel
	s.mu.Unlock()
	ok := s.spawn(func() {
		defer func() {
			stop()
			cancel()
			s.mu.Lock()
			delete(s.serverReqs, req.ID)
			s.mu.Unlock()
		}()
		s.relay(ctx, sink, req)
	})
	if !ok {
		stop()
		cancel()
	}
}

// requestTarget picks who answers req, and within which context: the call whose stream
// carried it; else the call routeTarget names; else, for roots/list only, every client with
// calls in flight together (roots.go). A nil Sink means no call is in flight.
func (s *session) requestTarget(req *jsonrpc.Request) (context.Context, Sink, error) {
	if p := s.linkedRequest(req.ID); p != nil {
		return p.ctx, p.sink, nil
	}
	p, err := s.routeTarget()
	switch {
	case errors.Is(err, errAmbiguous) && req.Method == "roots/list":
		return s.ctx, agreedRoots{calls: s.candidates()}, nil
	case err != nil:
		return nil, nil, err
	case p == nil:
		return nil, nil, nil
	}
	return p.ctx, p.sink, nil
}

// unlinkedWhy says, for an operator reading a refusal, why nothing tied the request to its
// call on this connection.
func (s *session) unlinkedWhy() string {
	switch {
	case s.proc != nil:
		return "over stdio nothing links a legacy-era request to its call; a server that also speaks 2026-07-28 links them when its tools return inputRequests"
	case s.b.cfg.Transport == TransportSSE:
		return "the HTTP+SSE transport sends every request on one stream"
	default:
		return "the server sent it outside the call's own stream"
	}
}

// relay asks the sink and writes its answer to the server under the server's own id.
func (s *session) relay(ctx context.Context, sink Sink, req *jsonrpc.Request) {
	resp, err := sink.Request(ctx, req)
	switch {
	case err != nil:
		var we *jsonrpc.Error
		if errors.As(err, &we) {
			s.replyError(req.ID, we.Code, we.Message)
		} else {
			s.replyError(req.ID, jsonrpc.CodeInternalError, err.Error())
		}
	case resp == nil:
		s.replyError(req.ID, jsonrpc.CodeInternalError, "the client gave no answer")
	case resp.Error != nil:
		s.send(&jsonrpc.Response{ID: req.ID, Error: resp.Error})
	default:
		result := resp.Result
		if len(result) == 0 {
			result = json.RawMessage(`{}`)
		}
		s.send(&jsonrpc.Response{ID: req.ID, Result: result})
	}
}

func (s *session) replyError(id jsonrpc.ID, code int64, msg string) {
	s.send(&jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: code, Message: msg}})
}

// notification routes a notification from the server.
func (s *session) notification(msg *jsonrpc.Request) {
	switch msg.Method {
	case "notifications/progress":
		s.progress(msg)
	case "notifications/message":
		if p := s.linkedLog(msg.Params); p != nil {
			p.notify(msg)
			return
		}
		switch p, err := s.routeTarget(); {
		case p != nil:
			p.notify(msg)
		case err == nil:
			s.b.event(msg)
		default:
			s.b.log.Debug("log message dropped: it could belong to any of several clients' calls")
		}
	case "notifications/tools/list_changed":
		s.requestRelist(kindTools)
	case "notifications/prompts/list_changed":
		s.requestRelist(kindPrompts)
	case "notifications/resources/list_changed":
		s.requestRelist(kindResources)
	case "notifications/subscriptions/acknowledged":
		s.b.log.Debug("subscriptions/listen acknowledged", "params", string(msg.Params))
	case "notifications/cancelled":
		s.serverCancelled(msg)
	default:
		s.b.event(msg)
	}
}

// progress maps a progress notification back to the call whose token it carries.
func (s *session) progress(msg *jsonrpc.Request) {
	var params struct {
		Token json.RawMessage `json:"progressToken"`
	}
	if json.Unmarshal(msg.Params, &params) != nil || params.Token == nil {
		return
	}
	s.mu.Lock()
	p := s.tokens[string(params.Token)]
	s.mu.Unlock()
	if p == nil || p.sink == nil {
		return // the call is over or nobody listens
	}
	out, err := setField(msg.Params, "progressToken", p.origToken)
	if err != nil {
		return
	}
	p.notify(&jsonrpc.Request{Method: msg.Method, Params: out})
}

// serverCancelled stops a server→client request the server gave up on.
func (s *session) serverCancelled(msg *jsonrpc.Request) {
	var params struct {
		RequestID any `json:"requestId"`
	}
	if json.Unmarshal(msg.Params, &params) != nil {
		return
	}
	id, err := jsonrpc.MakeID(params.RequestID)
	if err != nil {
		return
	}
	s.mu.Lock()
	cancel := s.serverReqs[id]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}
