package gateway

import (
	"context"
	"strconv"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// notifyTimeout bounds the wait for room on a client's stream for one notification.
const notifyTimeout = 5 * time.Second

// Notify relays progress and log notifications of the call's backend to its client, dropping
// log messages below the session's level (the call is the backend.Call's Sink).
func (k *call) Notify(msg *jsonrpc.Request) {
	if msg.Method == "notifications/message" && !k.c.wantsLog(msg.Params) {
		return
	}
	// Bounded: a client that does not drain its stream loses notifications, it does not hold
	// up its own call's result.
	parent := context.Background()
	if k.c.sess != nil {
		parent = k.c.sess.ctx
	}
	ctx, cancel := context.WithTimeout(parent, notifyTimeout)
	defer cancel()
	_ = k.em.emit(ctx, encode(msg))
}

// Request relays a server→client request of the call's backend to its client, if it
// declared the capability, and waits for its answer.
func (k *call) Request(ctx context.Context, req *jsonrpc.Request) (*jsonrpc.Response, error) {
	c := k.c
	if !c.caps.allows(req.Method) {
		return errorResponse(req.ID, codeMethodNotFound,
			"the client did not declare the capability for "+req.Method), nil
	}
	if c.sess == nil {
		if c.ask == nil {
			return errorResponse(req.ID, codeMethodNotFound,
				req.Method+" cannot reach a "+c.version+" client during this request"), nil
		}
		return c.ask(ctx, req)
	}
	return k.askSession(ctx, c.sess, req)
}

// askSession asks a legacy session's client on the request's reply or the session's stream.
func (k *call) askSession(ctx context.Context, s *session, req *jsonrpc.Request) (*jsonrpc.Response, error) {
	id, err := jsonrpc.MakeID("gw-" + strconv.FormatInt(s.nextID.Add(1), 10))
	if err != nil {
		return nil, err
	}
	key := idKey(id)
	ch := make(chan *jsonrpc.Response, 1)
	s.mu.Lock()
	s.pending[key] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, key)
		s.mu.Unlock()
	}()
	if err := k.em.emit(ctx, encode(&jsonrpc.Request{ID: id, Method: req.Method, Params: req.Params})); err != nil {
		return errorResponse(req.ID, codeInternal, "cannot reach the client: "+err.Error()), nil
	}
	select {
	case resp := <-ch:
		return resp, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.ctx.Done():
		return nil, s.ctx.Err()
	}
}

// deliver hands a client's response to the server→client request waiting for it.
func (g *Gateway) deliver(s *session, resp *jsonrpc.Response) {
	key := idKey(resp.ID)
	s.mu.Lock()
	ch := s.pending[key]
	s.mu.Unlock()
	if ch == nil {
		g.log.Debug("response to no pending request", "session", s.id, "id", key)
		return
	}
	select {
	case ch <- resp:
	default:
	}
}

func (s *session) subscribe(uri string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.subs[uri] = true
	} else {
		delete(s.subs, uri)
	}
}

func (s *session) subscribed(uri string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subs[uri]
}
