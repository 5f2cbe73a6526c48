package gateway

import (
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// serveSSE opens an HTTP+SSE session (the 2024-11-05 transport): the stream first names the
// endpoint to POST messages to, then carries every reply. At /sse/<group> the session lives
// at the group's endpoint and posts to /messages/<group>.
func (g *Gateway) serveSSE(w http.ResponseWriter, r *http.Request) {
	s := newSession(identityFrom(r.Context()), true)
	s.discovery = discoveryFrom(r.Context())
	s.group = groupFrom(r.Context()).name()
	messages := "/messages"
	if s.group != "" {
		messages += "/" + s.group
	}
	if !g.sessions.add(s) {
		s.close()
		g.counts.sessionsRefused.Add(1)
		writeLimit(w, jsonrpc.ID{}, "sessions", "limits.max_sessions_per_key", g.cfg.MaxSessionsPerKey)
		return
	}
	ch, _ := s.attach()
	defer g.sessions.remove(s.id) // the session lives as long as its stream
	startSSE(w)
	if _, err := w.Write([]byte("event: endpoint\ndata: " + messages + "?sessionId=" + s.id + "\n\n")); err != nil {
		return
	}
	flush(w)
	pump(r.Context(), w, s, ch, g.cfg.KeepAlive)
}

// serveMessages takes one message for an HTTP+SSE session; the reply goes on its stream.
func (g *Gateway) serveMessages(w http.ResponseWriter, r *http.Request) {
	s := g.sessions.get(r.URL.Query().Get("sessionId"))
	// A session takes messages only at the endpoint its stream named: /messages for /sse,
	// /messages/<group> for /sse/<group>.
	if s == nil || !s.legacy || s.group != groupFrom(r.Context()).name() || !s.adopt(identityFrom(r.Context())) {
		httpError(w, http.StatusNotFound, "unknown or expired session: open GET /sse first")
		return
	}
	group := groupFrom(r.Context())
	s.touch()
	body, ok := g.readBody(w, r)
	if !ok {
		return
	}
	msg, refused, err := parseClient(body)
	if err != nil {
		writeParseError(w, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	if refused != nil {
		go s.push(s.ctx, encode(refused), true) // as every reply: on the stream, not the POST
		return
	}
	switch m := msg.(type) {
	case *jsonrpc.Response:
		g.deliver(s, m)
	case *jsonrpc.Request:
		if !m.IsCall() {
			g.notification(s, m)
			return
		}
		limited := g.overRate(w, r, m.ID)
		// The reply must not wait for this POST: serve it in the session's lifetime.
		go func() {
			resp := limited
			switch {
			case resp != nil:
			case m.Method == mcp.MethodInitialize:
				resp = g.initialize(s, m)
			default:
				c := s.client()
				c.group = group
				resp = g.dispatch(s.ctx, c, m, streamEmitter{s})
			}
			s.push(s.ctx, encode(resp), true)
		}()
	}
}
