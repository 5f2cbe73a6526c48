package gateway

import (
	"encoding/json"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

type initializeParams struct {
	ProtocolVersion string          `json:"protocolVersion"`
	Capabilities    clientCaps      `json:"capabilities"`
	ClientInfo      json.RawMessage `json:"clientInfo"`
}

// initialize negotiates the protocol version and records what the client can do.
func (g *Gateway) initialize(s *session, req *jsonrpc.Request) *jsonrpc.Response {
	var p initializeParams
	if len(req.Params) == 0 || json.Unmarshal(req.Params, &p) != nil || p.ProtocolVersion == "" {
		return errorResponse(req.ID, codeInvalidParams, "initialize needs params with protocolVersion, capabilities and clientInfo")
	}
	version := supportedVersions[0]
	if slices.Contains(supportedVersions, p.ProtocolVersion) {
		version = p.ProtocolVersion
	}
	p.Capabilities.seal()
	s.mu.Lock()
	s.version, s.caps = version, p.Capabilities
	s.mu.Unlock()
	res := map[string]any{
		"protocolVersion": version,
		"capabilities":    hubCapabilities(),
		"serverInfo":      map[string]any{"name": g.cfg.ServerName, "version": g.cfg.ServerVersion},
	}
	if g.cfg.Instructions != "" {
		res["instructions"] = g.cfg.Instructions
	}
	b, _ := json.Marshal(res)
	return result(req.ID, b)
}

// notification handles a client notification.
func (g *Gateway) notification(s *session, n *jsonrpc.Request) {
	switch n.Method {
	case "notifications/cancelled":
		var p struct {
			RequestID any `json:"requestId"`
		}
		if json.Unmarshal(n.Params, &p) == nil {
			if id, err := jsonrpc.MakeID(p.RequestID); err == nil {
				s.cancel(id)
			}
		}
	case "notifications/initialized", "notifications/roots/list_changed":
	default:
		g.log.Debug("ignored client notification", "method", n.Method, "session", s.id)
	}
}

// ListChanged tells every session with an open stream, and every subscriptions/listen
// stream that opted in, which lists changed.
func (g *Gateway) ListChanged(c router.Changes) {
	// A group's sessions hear of a change only when the group's own list changed.
	groups := g.groupChanges(c)
	kinds := []struct {
		changed func(router.Changes) bool
		method  string
	}{
		{func(c router.Changes) bool { return c.Tools }, "notifications/tools/list_changed"},
		{func(c router.Changes) bool { return c.Prompts }, "notifications/prompts/list_changed"},
		{func(c router.Changes) bool { return c.Resources }, "notifications/resources/list_changed"},
	}
	for _, s := range g.sessions.all() {
		sc := c
		if s.group != "" {
			sc = groups[s.group]
		}
		for _, k := range kinds {
			if k.changed(sc) {
				s.push(s.ctx, []byte(`{"jsonrpc":"2.0","method":"`+k.method+`"}`), false)
			}
		}
	}
	for _, k := range kinds {
		if k.changed(c) {
			g.subs.listChanged(k.method, func(group string) bool { return k.changed(groups[group]) })
		}
	}
}

// ToolStatesChanged tells the sessions and listen streams of each tool group whose tools
// changed with a tool's state (a risk override moves a tool in or out of a group that
// selects by risk) that their tool list changed; other groups and /mcp hear nothing (a
// state change does not change /mcp's tools/list). Call it after a state write.
func (g *Gateway) ToolStatesChanged() {
	groups := g.groupChanges(router.Changes{Tools: true})
	const method = "notifications/tools/list_changed"
	for _, s := range g.sessions.all() {
		if s.group != "" && groups[s.group].Tools {
			s.push(s.ctx, []byte(`{"jsonrpc":"2.0","method":"`+method+`"}`), false)
		}
	}
	g.subs.groupsChanged(method, func(group string) bool { return groups[group].Tools })
}

// ResourceUpdated tells the sessions subscribed to an exposed URI that it changed.
func (g *Gateway) ResourceUpdated(uri string) {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "notifications/resources/updated",
		"params": map[string]string{"uri": uri}})
	for _, s := range g.sessions.all() {
		if s.subscribed(uri) {
			s.push(s.ctx, b, false)
		}
	}
	g.subs.resourceUpdated(uri)
}
