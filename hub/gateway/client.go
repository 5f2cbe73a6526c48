package gateway

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// client is what one request tells about its client, whatever its era: a legacy session
// provides it from what initialize and logging/setLevel recorded, a modern (2026-07-28)
// request from its own params._meta. The routing core sees only this.
type client struct {
	identity auth.Identity
	version  string
	caps     clientCaps
	info     json.RawMessage // clientInfo, for logs
	logLevel int32           // index into mcp.LogLevels; noLogs drops every log message
	trace    string          // W3C traceparent, when the client sent one
	owner    string          // who the backend's server→client requests may go to
	listen   string          // the subscriptions/listen stream the request serves, if any
	// discovery: the client is served the discovery surface (surface.go, discover.go).
	discovery bool

	// sess is the legacy session the request belongs to; nil for a modern request.
	sess *session
	// group is the tool group the request's endpoint serves (/mcp/<group>); nil at /mcp.
	group *Group
	// tr is the request's trace (tracing.go); nil when tracing is off.
	tr *callTrace
	// ask answers a server→client request of a modern request's backend call (the
	// input_required bridge); nil when the call cannot be bridged.
	ask func(ctx context.Context, req *jsonrpc.Request) (*jsonrpc.Response, error)
}

// noLogs is the log level of a modern request without io.modelcontextprotocol/logLevel:
// the spec says the server sends it no log messages at all.
const noLogs = int32(1 << 20)

// client returns the client context of a request in this session.
func (s *session) client() *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &client{identity: s.identity, version: s.version, caps: s.caps, owner: s.id, sess: s, discovery: s.discovery}
}

// wantsLog reports whether a notifications/message with these params may reach the client.
func (c *client) wantsLog(params json.RawMessage) bool {
	min := c.logLevel
	if c.sess != nil {
		min = c.sess.logLevel.Load() // logging/setLevel may change it during a call
	}
	if min == 0 {
		return true
	}
	if min >= noLogs {
		return false
	}
	var p struct {
		Level string `json:"level"`
	}
	_ = json.Unmarshal(params, &p)
	return int32(slices.Index(mcp.LogLevels, p.Level)) >= min
}

// caller is the identity the upstream call carries.
func (c *client) caller() protocol.Caller {
	// Session names the owner of the call even for a stateless request (a fresh id per
	// request): the agent hands a backend's server→client requests only to calls of one
	// owner, and all stateless calls of one key must not look like one client.
	return protocol.Caller{UserID: c.identity.UserID, Name: c.identity.Name, Role: c.identity.Role,
		KeyID: c.identity.KeyID, Application: c.identity.Application, Session: c.owner}
}

// holder names who holds the resource subscriptions this request makes (upstreamSubs): its
// legacy session, or its subscriptions/listen stream; "" for neither.
func (c *client) holder() string {
	switch {
	case c.sess != nil:
		return sessionHolder(c.sess)
	case c.listen != "":
		return "listen/" + c.listen
	}
	return ""
}

func sessionHolder(s *session) string { return "session/" + s.id }
