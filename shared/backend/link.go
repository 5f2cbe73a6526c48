package backend

import (
	"context"
	"encoding/json"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Linking server→client messages to calls over streamable HTTP.
//
// A streamable HTTP server sends what a call causes (sampling, elicitation and roots
// requests in the legacy era, log messages in both) on that call's own POST response
// stream, the only link the wire gives between them. The connection (httpconn.go) merges
// every stream into one Read, so it notes the link as it parses each message of a call's
// stream, before handing the message over: "request id R belongs to call C" and "a log
// message with these params belongs to call C". dispatch then routes by the note and falls
// back to routeTarget only for what came unlinked (the GET stream, stdio). See
// docs/DECISIONS.md, "Server→client requests under concurrency".

// linkKey carries a call's *linkTarget in the context of the Write that sends it.
type linkKey struct{}

// linkTarget is what a linked stream reports to: the call and its session.
type linkTarget struct {
	s *session
	p *pending
}

// withLink returns ctx marked for linking when s can use it: streamable HTTP (a modern
// server sends no requests, but its log messages come on the call's stream too), and a call
// with a client to answer.
func (s *session) withLink(ctx context.Context, p *pending) context.Context {
	if s.hdr == nil || s.b.cfg.Transport == TransportSSE || p.sink == nil {
		return ctx
	}
	return context.WithValue(ctx, linkKey{}, &linkTarget{s: s, p: p})
}

// linkOf is the link a call's Write carries in ctx, nil if none.
func linkOf(ctx context.Context) *linkTarget {
	t, _ := ctx.Value(linkKey{}).(*linkTarget)
	return t
}

// note records that m, read from t's call's stream, belongs to that call: a server→client
// request by its id, a log message by its params. t may be nil: nothing to note.
func (t *linkTarget) note(m jsonrpc.Message) {
	req, ok := m.(*jsonrpc.Request)
	if t == nil || !ok {
		return
	}
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case req.IsCall() && isClientRequest(req.Method):
		s.linkedReqs[req.ID] = t.p
	case !req.IsCall() && req.Method == "notifications/message":
		k := string(req.Params)
		s.linkedLogs[k] = append(s.linkedLogs[k], t.p)
	}
}

// linkedRequest returns, and forgets, the call whose stream carried the request id.
func (s *session) linkedRequest(id jsonrpc.ID) *pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.linkedReqs[id]
	delete(s.linkedReqs, id)
	return p
}

// linkedLog returns, and forgets, the call whose stream carried a log message with these
// params. Equal messages of several calls are handed out in the order they were read: they
// are the same bytes, so which of those calls gets which copy tells no one anything new.
func (s *session) linkedLog(params json.RawMessage) *pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := string(params)
	q := s.linkedLogs[k]
	if len(q) == 0 {
		return nil
	}
	p := q[0]
	if len(q) == 1 {
		delete(s.linkedLogs, k)
	} else {
		s.linkedLogs[k] = q[1:]
	}
	return p
}

// isClientRequest reports whether method is a server→client request the hub relays.
func isClientRequest(method string) bool {
	switch method {
	case "sampling/createMessage", "elicitation/create", "roots/list":
		return true
	}
	return false
}
