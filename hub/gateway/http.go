package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

const (
	headerSession  = "Mcp-Session-Id"
	headerProtocol = "Mcp-Protocol-Version"
)

// supportedVersions are the session-based protocol versions, newest first.
var supportedVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}

func (g *Gateway) serveMCP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		g.handlePost(w, r)
	case http.MethodGet:
		g.handleGet(w, r)
	case http.MethodDelete:
		g.handleDelete(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		httpError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on /mcp")
	}
}

// readBody reads the request body within the size limit, answering the error itself. A
// body of declared length (what MCP clients send) is read into one buffer of that size; a
// chunked one grows as it arrives, up to the limit.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if n := r.ContentLength; n > g.cfg.MaxBodyBytes {
		httpError(w, http.StatusRequestEntityTooLarge, "request body is over the limit of "+itoa(g.cfg.MaxBodyBytes)+" bytes")
		return nil, false
	} else if n >= 0 && r.Body != nil {
		// net/http hands the handler exactly n bytes (a shorter body is an error).
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			httpError(w, http.StatusBadRequest, "read request body: "+err.Error())
			return nil, false
		}
		return body, true
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpError(w, http.StatusRequestEntityTooLarge, "request body is over the limit of "+itoa(tooBig.Limit)+" bytes")
		} else {
			httpError(w, http.StatusBadRequest, "read request body: "+err.Error())
		}
		return nil, false
	}
	return body, true
}

func (g *Gateway) handlePost(w http.ResponseWriter, r *http.Request) {
	body, ok := g.readBody(w, r)
	if !ok {
		return
	}
	if mcp.IsBatch(body) {
		g.handleBatch(w, r, body)
		return
	}
	msg, refused, err := parseClient(body)
	if err != nil {
		writeParseError(w, err)
		return
	}
	if g.cfg.Tracer != nil {
		markDecoded(r.Context())
	}
	if refused != nil {
		if isModern(r, msg.(*jsonrpc.Request)) {
			writeModern(w, refused)
		} else {
			writeMessage(w, refused)
		}
		return
	}
	// A stateless client has no session to send notifications or responses to: it cancels
	// by closing the stream, and answers input requests by retrying. Accept and drop them.
	statelessOther := r.Header.Get(headerSession) == "" && r.Header.Get(headerProtocol) >= mcp.VersionStateless
	switch m := msg.(type) {
	case *jsonrpc.Response:
		if statelessOther {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if s := g.sessionFor(w, r); s != nil {
			g.deliver(s, m)
			w.WriteHeader(http.StatusAccepted)
		}
	case *jsonrpc.Request:
		if !m.IsCall() {
			if statelessOther {
				w.WriteHeader(http.StatusAccepted)
				return
			}
			if s := g.sessionFor(w, r); s != nil {
				g.notification(s, m)
				w.WriteHeader(http.StatusAccepted)
			}
			return
		}
		if limited := g.overRate(w, r, m.ID); limited != nil {
			writeMessage(w, limited)
			return
		}
		if isModern(r, m) {
			g.handleModern(w, r, m)
			return
		}
		if m.Method == mcp.MethodInitialize {
			g.handleInitialize(w, r, m)
			return
		}
		s := g.sessionFor(w, r)
		if s == nil {
			return
		}
		s.used.Store(true)
		reply := newPostReply(w, r, s)
		reply.finish(g.dispatch(r.Context(), s.clientIn(r), m, reply))
	}
}

func (g *Gateway) handleInitialize(w http.ResponseWriter, r *http.Request, req *jsonrpc.Request) {
	if r.Header.Get(headerSession) != "" {
		if s := g.sessionFor(w, r); s != nil {
			writeMessage(w, errorResponse(req.ID, codeInvalidRequest, "session is already initialized"))
		}
		return
	}
	s := newSession(identityFrom(r.Context()), false)
	s.discovery = discoveryFrom(r.Context())
	s.group = groupFrom(r.Context()).name()
	resp := g.initialize(s, req)
	if resp.Error == nil {
		if g.sealer != nil {
			s.id = g.sealer.seal(s.version, s.caps.wire, s.identity, s.group)
		}
		if !g.sessions.add(s) {
			s.close()
			g.counts.sessionsRefused.Add(1)
			writeLimit(w, req.ID, "sessions", "limits.max_sessions_per_key", g.cfg.MaxSessionsPerKey)
			return
		}
		w.Header().Set(headerSession, s.id)
	}
	writeMessage(w, resp)
}

// sessionFor finds the request's session, checks it belongs to the caller and that the
// protocol version header fits; on failure it answers and returns nil.
func (g *Gateway) sessionFor(w http.ResponseWriter, r *http.Request) *session {
	id := r.Header.Get(headerSession)
	if id == "" {
		httpError(w, http.StatusBadRequest, "missing Mcp-Session-Id header: send initialize first")
		return nil
	}
	s := g.sessions.get(id)
	if s == nil && g.sealer != nil {
		var err error
		if s, err = g.revive(id, identityFrom(r.Context()), discoveryFrom(r.Context())); errors.Is(err, errSessionCap) {
			writeLimit(w, jsonrpc.ID{}, "sessions", "limits.max_sessions_per_key", g.cfg.MaxSessionsPerKey)
			return nil
		}
	}
	if s == nil || s.legacy || s.group != groupFrom(r.Context()).name() || !s.adopt(identityFrom(r.Context())) {
		// Another caller's session is reported as unknown, not as forbidden: ids must not leak.
		// An HTTP+SSE session lives at /messages only: its replies belong on its /sse stream.
		// A session lives at the endpoint (/mcp or /mcp/<group>) that initialized it.
		httpError(w, http.StatusNotFound, "unknown or expired session: initialize a new one")
		return nil
	}
	if v := r.Header.Get(headerProtocol); v != "" && !slices.Contains(supportedVersions, v) {
		httpError(w, http.StatusBadRequest, "unsupported MCP-Protocol-Version "+v)
		return nil
	}
	s.touch()
	return s
}

// adopt checks that id is this session's caller (same user and key) and makes it the
// session's identity from then on: the key was looked up again for this request, so a role
// changed since initialize (a demotion, new tool globs) applies to the session's next call,
// not only to new sessions.
func (s *session) adopt(id auth.Identity) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !sameCaller(s.identity, id) {
		return false
	}
	s.identity = id
	return true
}

func sameCaller(a, b auth.Identity) bool {
	return a.UserID == b.UserID && a.KeyID == b.KeyID
}

func (g *Gateway) handleGet(w http.ResponseWriter, r *http.Request) {
	if !accepts(r, "text/event-stream") {
		httpError(w, http.StatusNotAcceptable, "GET /mcp opens an SSE stream: send Accept: text/event-stream")
		return
	}
	s := g.sessionFor(w, r)
	if s == nil {
		return
	}
	ch, ok := s.attach()
	if !ok {
		httpError(w, http.StatusConflict, "this session already has an open stream")
		return
	}
	defer s.detach(ch)
	startSSE(w)
	pump(r.Context(), w, s, ch, g.cfg.KeepAlive)
}

func (g *Gateway) handleDelete(w http.ResponseWriter, r *http.Request) {
	if s := g.sessionFor(w, r); s != nil {
		g.sessions.remove(s.id)
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleBatch serves a JSON-RPC batch (allowed by 2025-03-26, removed in 2025-06-18): each
// request in turn, the replies together as one JSON array. Messages that need a stream go
// to the GET stream.
func (g *Gateway) handleBatch(w http.ResponseWriter, r *http.Request, body []byte) {
	raws, err := mcp.SplitBatch(body)
	if err != nil {
		writeParseError(w, err)
		return
	}
	s := g.sessionFor(w, r)
	if s == nil {
		return
	}
	s.mu.Lock()
	version := s.version
	s.mu.Unlock()
	if version > "2025-03-26" {
		httpError(w, http.StatusBadRequest, "JSON-RPC batches are not supported in protocol version "+version)
		return
	}
	var out [][]byte
	for _, raw := range raws {
		msg, refused, err := parseClient(raw)
		if refused != nil {
			out = append(out, encode(refused))
			continue
		}
		if err != nil {
			// Not encode(errorResponse(...)): a Response without an ID encodes with no "id"
			// member at all, and JSON-RPC wants "id": null here.
			b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": nil,
				"error": map[string]any{"code": mcp.ErrorCode(err), "message": err.Error()}})
			out = append(out, b)
			continue
		}
		switch m := msg.(type) {
		case *jsonrpc.Response:
			g.deliver(s, m)
		case *jsonrpc.Request:
			if !m.IsCall() {
				g.notification(s, m)
				continue
			}
			s.used.Store(true)
			if limited := g.overRate(w, r, m.ID); limited != nil {
				out = append(out, encode(limited))
				continue
			}
			out = append(out, encode(g.dispatch(r.Context(), s.clientIn(r), m, streamEmitter{s})))
		}
	}
	if len(out) == 0 {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	writeJSONBody(w, http.StatusOK, joinArray(out))
}

func writeMessage(w http.ResponseWriter, resp *jsonrpc.Response) {
	writeJSONBody(w, http.StatusOK, encode(resp))
}

func writeParseError(w http.ResponseWriter, err error) {
	code := mcp.ErrorCode(err)
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": code, "message": err.Error()},
	})
}
