package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// streamSink relays a backend's notifications and server→client requests for one call up
// its stream, and hands the hub's Response frames to the waiting request.
type streamSink struct {
	w   *protocol.FrameWriter
	log *slog.Logger

	mu      sync.Mutex
	waiting map[string]chan *jsonrpc.Response // by request id; made by the first request
}

var _ backend.Sink = (*streamSink)(nil)

// Notify sends a notification (progress, log message) to the caller; a lost one is not an error.
func (s *streamSink) Notify(n *jsonrpc.Request) {
	if err := s.w.WriteMessage(protocol.TypeNotify, n); errors.Is(err, protocol.ErrEncode) {
		s.log.Warn("drop notification: cannot encode", "method", n.Method, "err", err)
	} else if err != nil {
		s.log.Debug("notification not delivered", "method", n.Method, "err", err)
	}
}

// Request sends a server→client request to the caller and waits for its answer.
func (s *streamSink) Request(ctx context.Context, req *jsonrpc.Request) (*jsonrpc.Response, error) {
	if !req.IsCall() {
		return nil, errors.New("server→client request without an id")
	}
	key := idKey(req.ID)
	ch := make(chan *jsonrpc.Response, 1)
	s.mu.Lock()
	if _, dup := s.waiting[key]; dup {
		s.mu.Unlock()
		return nil, fmt.Errorf("server→client request id %v is already waiting", req.ID.Raw())
	}
	if s.waiting == nil {
		s.waiting = map[string]chan *jsonrpc.Response{}
	}
	s.waiting[key] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiting, key)
		s.mu.Unlock()
	}()
	if err := s.w.WriteMessage(protocol.TypeRequest, req); err != nil {
		return nil, fmt.Errorf("send %s request to the hub: %w", req.Method, err)
	}
	select {
	case resp := <-ch:
		return resp, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// deliver hands a Response frame to the request waiting for it.
func (s *streamSink) deliver(payload []byte) error {
	resp, err := protocol.DecodeResponse(protocol.TypeResponse, payload)
	if err != nil {
		return err
	}
	key := idKey(resp.ID)
	s.mu.Lock()
	ch, ok := s.waiting[key]
	delete(s.waiting, key)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("response to id %v, which no request is waiting for", resp.ID.Raw())
	}
	ch <- resp
	return nil
}

// idKey tells ids 1 and "1" apart.
func idKey(id jsonrpc.ID) string {
	return fmt.Sprintf("%T:%v", id.Raw(), id.Raw())
}
