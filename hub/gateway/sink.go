package gateway

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// callSink receives what a backend sends for one call and hands it to the client session.
type callSink struct {
	s  *session
	em emitter
}

// notifyTimeout bounds the wait for room on a client's stream for one notification.
const notifyTimeout = 5 * time.Second

// Owner names the client session, so a shared backend never hands this session's
// server→client requests or log messages to another (backend.Owner).
func (c *callSink) Owner() string { return c.s.id }

// Notify relays progress and log notifications, dropping log messages below the session's level.
func (c *callSink) Notify(msg *jsonrpc.Request) {
	if msg.Method == "notifications/message" && !c.s.wantsLog(msg.Params) {
		return
	}
	// Bounded: a client that does not drain its stream loses notifications, it does not hold
	// up its own call's result.
	ctx, cancel := context.WithTimeout(c.s.ctx, notifyTimeout)
	defer cancel()
	_ = c.em.emit(ctx, encode(msg))
}

// Request relays a server→client request to the client, if it declared the capability,
// and waits for its answer.
func (c *callSink) Request(ctx context.Context, req *jsonrpc.Request) (*jsonrpc.Response, error) {
	c.s.mu.Lock()
	caps := c.s.caps
	c.s.mu.Unlock()
	if !caps.allows(req.Method) {
		return errorResponse(req.ID, codeMethodNotFound,
			"the client did not declare the capability for "+req.Method), nil
	}
	id, err := jsonrpc.MakeID("gw-" + strconv.FormatInt(c.s.nextID.Add(1), 10))
	if err != nil {
		return nil, err
	}
	key := idKey(id)
	ch := make(chan *jsonrpc.Response, 1)
	c.s.mu.Lock()
	c.s.pending[key] = ch
	c.s.mu.Unlock()
	defer func() {
		c.s.mu.Lock()
		delete(c.s.pending, key)
		c.s.mu.Unlock()
	}()
	if err := c.em.emit(ctx, encode(&jsonrpc.Request{ID: id, Method: req.Method, Params: req.Params})); err != nil {
		return errorResponse(req.ID, codeInternal, "cannot reach the client: "+err.Error()), nil
	}
	select {
	case resp := <-ch:
		return resp, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.s.ctx.Done():
		return nil, c.s.ctx.Err()
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

func (s *session) wantsLog(params json.RawMessage) bool {
	min := s.logLevel.Load()
	if min == 0 {
		return true
	}
	var p struct {
		Level string `json:"level"`
	}
	_ = json.Unmarshal(params, &p)
	return int32(slices.Index(logLevels, p.Level)) >= min
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
