package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// call sends the call's request under a backend-unique id and waits for the response, the
// caller's ctx, or the end of the connection, whichever comes first.
func (s *session) call(ctx context.Context, c *Call) (*jsonrpc.Response, error) {
	req := c.Request
	if !req.IsCall() {
		if err := s.conn.Write(ctx, req); err != nil {
			return nil, fmt.Errorf("backend %q: send %s: %w", s.b.cfg.Name, req.Method, err)
		}
		return nil, nil
	}
	n := s.b.nextID.Add(1)
	id, _ := jsonrpc.MakeID(float64(n)) // exact below 2^53
	p := &pending{ctx: ctx, n: n, id: id, sink: c.Sink, owner: c.Owner, resp: make(chan *jsonrpc.Response, 1)}
	params := req.Params
	// Only touch params that mention a progress token: the hot path stays a byte scan.
	if bytes.Contains(params, []byte(`"progressToken"`)) {
		token := strconv.FormatInt(n, 10)
		var err error
		params, p.origToken, err = swapProgressToken(params, json.RawMessage(token))
		if err != nil {
			return nil, fmt.Errorf("backend %q: %s: params: %w", s.b.cfg.Name, req.Method, err)
		}
		if p.origToken != nil {
			p.token = token
		}
	}
	if err := s.register(p); err != nil {
		return nil, err
	}
	defer func() {
		if dropped := p.flush(ctx); dropped > 0 {
			s.b.log.Warn("client too slow: notifications dropped", "method", req.Method, "dropped", dropped)
		}
	}()
	out := &jsonrpc.Request{ID: id, Method: req.Method, Params: params}
	if err := s.conn.Write(s.withLink(ctx, p), out); err != nil {
		s.unregister(p)
		if ctx.Err() != nil {
			// Over HTTP the write is the POST, which lasts until the server starts its answer:
			// the server has the request and must be told the caller gave up. A stateless
			// server too: the end of the POST does not stop every server's tool.
			s.sendCancel(n, ctx.Err())
		}
		return s.writeFailed(ctx, req, err)
	}
	select {
	case resp := <-p.resp:
		return withID(resp, req.ID), nil
	case <-ctx.Done():
	case <-s.done:
	}
	select { // a response that raced the other cases still wins
	case resp := <-p.resp:
		return withID(resp, req.ID), nil
	default:
	}
	if ctx.Err() != nil {
		s.unregister(p)
		// Every server is told, a stateless HTTP one too: not every server stops its tool
		// when the response stream closes (issue 10, item 19).
		s.sendCancel(n, ctx.Err())
		return nil, ctx.Err()
	}
	return nil, s.goneErr()
}

// withID gives resp the caller's id. The session owns a message once its connection has
// handed it over (none reads it after: httpConn.deliver reads what it needs first), so the
// id is set in place instead of in a copy.
func withID(resp *jsonrpc.Response, id jsonrpc.ID) *jsonrpc.Response {
	resp.ID = id
	return resp
}

// writeFailed turns a failed send into the caller's result.
func (s *session) writeFailed(ctx context.Context, req *jsonrpc.Request, err error) (*jsonrpc.Response, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// A streamable HTTP server may refuse a request with an HTTP error whose body is a
	// JSON-RPC error: that is the server's answer, not a transport failure.
	var we *jsonrpc.Error
	if errors.As(err, &we) && we.Code != codeRejected {
		return &jsonrpc.Response{ID: req.ID, Error: we}, nil
	}
	// Over HTTP, a request that cannot reach the server means the connection is lost: the
	// supervisor reconnects, even for servers without a standalone stream to watch.
	var ue *url.Error
	if s.proc == nil && errors.As(err, &ue) {
		s.fail(fmt.Errorf("send %s: %w", req.Method, err))
	}
	select {
	case <-s.done:
		return nil, s.goneErr()
	default:
	}
	return nil, fmt.Errorf("backend %q: %w", s.b.cfg.Name, err) // go-sdk's error names the method
}

// codeRejected is go-sdk's jsonrpc2.ErrRejected: the transport refused to send.
const codeRejected = -32005

// sendCancel tells the server the caller gave up, without making the caller wait for it.
func (s *session) sendCancel(n int64, cause error) {
	params, _ := json.Marshal(struct {
		RequestID int64  `json:"requestId"`
		Reason    string `json:"reason"`
	}{n, cause.Error()})
	if s.modern {
		// Stateless: the notification carries the version and client _meta like a request.
		if withMeta, err := withMeta(params, s.requestMeta(false, nil, "")); err == nil {
			params = withMeta
		}
	}
	s.notify("notifications/cancelled", params)
}

// notify writes a notification from a goroutine of the session, bounded by writeTimeout.
func (s *session) notify(method string, params json.RawMessage) {
	s.send(&jsonrpc.Request{Method: method, Params: params})
}

// send writes msg from a goroutine of the session, so that a slow peer never blocks the
// reader or a returning caller.
func (s *session) send(msg jsonrpc.Message) {
	s.spawn(func() {
		ctx, cancel := context.WithTimeout(s.ctx, writeTimeout)
		defer cancel()
		if err := s.conn.Write(ctx, msg); err != nil && s.ctx.Err() == nil {
			s.b.log.Debug("write to server failed", "error", err)
		}
	})
}

// swapProgressToken replaces params._meta.progressToken with token and returns the new params
// and the old token (nil if params had none, and then params come back unchanged).
func swapProgressToken(params, token json.RawMessage) (json.RawMessage, json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(params, &top); err != nil {
		return nil, nil, err
	}
	var meta map[string]json.RawMessage
	if raw, ok := top["_meta"]; !ok || json.Unmarshal(raw, &meta) != nil {
		return params, nil, nil
	}
	orig, ok := meta["progressToken"]
	if !ok {
		return params, nil, nil
	}
	meta["progressToken"] = token
	rawMeta, err := marshalRaw(meta)
	if err != nil {
		return nil, nil, err
	}
	top["_meta"] = rawMeta
	out, err := marshalRaw(top)
	return out, orig, err
}

// setField returns obj with its top-level key set to value.
func setField(obj json.RawMessage, key string, value json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		return nil, err
	}
	m[key] = value
	return marshalRaw(m)
}

// marshalRaw encodes without HTML escaping, so that raw values inside keep their bytes.
func marshalRaw(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
