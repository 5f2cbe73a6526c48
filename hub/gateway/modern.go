package gateway

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// The stateless protocol's HTTP headers.
const (
	headerMethod = "Mcp-Method"
	headerName   = "Mcp-Name"
)

// modernVersions are the stateless protocol versions, newest first; allVersions adds the
// session-based ones, which a client reaches through initialize.
var (
	modernVersions = []string{mcp.VersionStateless}
	allVersions    = append(slices.Clone(modernVersions), supportedVersions...)
)

// Cache hints of the stateless protocol. Lists and reads are "private": what a caller may
// see depends on its key. Discovery is the same for everyone.
const (
	listTTLMs     = 10_000
	discoverTTLMs = 3_600_000
)

// isModern reports whether a POST without a session is a stateless request: its params
// carry io.modelcontextprotocol/protocolVersion, or its Mcp-Protocol-Version header names
// a stateless version. An initialize is one only when it carries the stateless _meta and
// not initialize's own protocolVersion: the stateless era removed the method, so such a
// request gets method-not-found (404) instead of starting a session.
func isModern(r *http.Request, req *jsonrpc.Request) bool {
	if r.Header.Get(headerSession) != "" {
		return false
	}
	_, meta := mcp.MetaField(req.Params, mcp.MetaProtocolVersion)
	if req.Method == mcp.MethodInitialize {
		_, legacy := mcp.Field(req.Params, "protocolVersion")
		return meta && !legacy
	}
	return meta || r.Header.Get(headerProtocol) >= mcp.VersionStateless
}

// modernError is a refused stateless request: its HTTP status and JSON-RPC error.
type modernError struct {
	status int
	resp   *jsonrpc.Response
}

func refuse(id jsonrpc.ID, status int, code int64, msg string, data any) *modernError {
	return &modernError{status: status, resp: mcp.ErrorResponse(id, code, msg, data)}
}

// modernClient reads the client context from a stateless request's _meta and checks its
// headers against it, in the order the spec gives: version first (missing; a
// Mcp-Protocol-Version header that names another one is a header mismatch, checked before
// whether the hub speaks it), then the other headers, then the rest of _meta. Every
// refusal is 400 (the stateless era's status for invalid params and its own errors).
func modernClient(r *http.Request, req *jsonrpc.Request) (*client, *modernError) {
	// Member by member with the raw scanner: this runs on every stateless call. req is
	// parseClient's, which read the whole message as valid JSON: only the type is checked.
	var meta []byte
	if raw, ok := mcp.Field(req.Params, "_meta"); ok {
		if !isObject(raw) {
			return nil, refuse(req.ID, http.StatusBadRequest, codeInvalidParams, "params._meta must be an object", nil)
		}
		meta = raw
	}
	version, ok := mcp.StringField(meta, mcp.MetaProtocolVersion)
	if !ok || version == "" {
		return nil, refuse(req.ID, http.StatusBadRequest, codeInvalidParams,
			"missing or invalid _meta field "+strconv.Quote(mcp.MetaProtocolVersion), nil)
	}
	if v := r.Header.Get(headerProtocol); v != "" && v != version {
		return nil, refuse(req.ID, http.StatusBadRequest, mcp.CodeHeaderMismatch,
			"header mismatch: Mcp-Protocol-Version "+strconv.Quote(v)+" does not match _meta version "+strconv.Quote(version), nil)
	}
	if !slices.Contains(modernVersions, version) {
		return nil, refuse(req.ID, http.StatusBadRequest, mcp.CodeUnsupportedProtocolVersion,
			"protocol version "+strconv.Quote(version)+" is not supported without a session; supported: "+joinVersions(),
			map[string]any{"requested": version, "supported": allVersions})
	}
	if err := checkHeaders(r, req, version); err != "" {
		return nil, refuse(req.ID, http.StatusBadRequest, mcp.CodeHeaderMismatch, err, nil)
	}
	c := &client{identity: identityFrom(r.Context()), version: version, logLevel: noLogs, owner: requestOwner(),
		discovery: discoveryFrom(r.Context()), group: groupFrom(r.Context())}
	capsRaw, ok := mcp.Field(meta, mcp.MetaClientCapabilities)
	if !ok || !isObject(capsRaw) || (len(capsRaw) > 2 && json.Unmarshal(capsRaw, &c.caps) != nil) {
		return nil, refuse(req.ID, http.StatusBadRequest, codeInvalidParams,
			"missing or invalid _meta field "+strconv.Quote(mcp.MetaClientCapabilities), nil)
	}
	c.caps.seal()
	if info, ok := mcp.Field(meta, mcp.MetaClientInfo); ok {
		if !isObject(info) {
			return nil, refuse(req.ID, http.StatusBadRequest, codeInvalidParams, "invalid _meta field "+strconv.Quote(mcp.MetaClientInfo), nil)
		}
		c.info = info
	}
	if _, ok := mcp.Field(meta, mcp.MetaLogLevel); ok {
		level, _ := mcp.StringField(meta, mcp.MetaLogLevel)
		i := slices.Index(mcp.LogLevels, level)
		if i < 0 {
			return nil, refuse(req.ID, http.StatusBadRequest, codeInvalidParams, "invalid _meta field "+strconv.Quote(mcp.MetaLogLevel), nil)
		}
		c.logLevel = int32(i)
	}
	c.trace, _ = mcp.StringField(meta, "traceparent")
	return c, nil
}

// ownerPrefix and ownerSeq name stateless requests uniquely within this hub (the owner of
// a call is not a secret: it only keeps apart the calls of different clients).
var (
	ownerPrefix = "req-" + randomID()[:8] + "-"
	ownerSeq    atomic.Uint64
)

func requestOwner() string {
	return ownerPrefix + strconv.FormatUint(ownerSeq.Add(1), 36)
}

func joinVersions() string {
	b, _ := json.Marshal(allVersions)
	return string(b)
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// checkHeaders compares the stateless protocol's request headers with the body: the
// protocol version, the method, and the name (tool, prompt or resource URI) where the
// method has one. It returns what is wrong, or "".
func checkHeaders(r *http.Request, req *jsonrpc.Request, version string) string {
	if v := r.Header.Get(headerProtocol); v != version {
		if v == "" {
			return "missing Mcp-Protocol-Version header: it must equal _meta " + strconv.Quote(mcp.MetaProtocolVersion)
		}
		return "header mismatch: Mcp-Protocol-Version " + strconv.Quote(v) + " does not match _meta version " + strconv.Quote(version)
	}
	if m := r.Header.Get(headerMethod); m != req.Method {
		if m == "" {
			return "missing Mcp-Method header"
		}
		return "header mismatch: Mcp-Method " + strconv.Quote(m) + " does not match body method " + strconv.Quote(req.Method)
	}
	var field string
	switch req.Method {
	case mcp.MethodToolsCall, mcp.MethodPromptsGet:
		field = "name"
	case mcp.MethodResourcesRead:
		field = "uri"
	default:
		return ""
	}
	n, ok := r.Header.Get(headerName), len(r.Header.Values(headerName)) > 0
	if !ok {
		return "missing Mcp-Name header for " + req.Method
	}
	body, _ := mcp.StringField(req.Params, field)
	if n != body {
		return "header mismatch: Mcp-Name " + strconv.Quote(n) + " does not match body " + field + " " + strconv.Quote(body)
	}
	return ""
}

// handleModern serves one stateless request: no session, everything it needs is in it.
func (g *Gateway) handleModern(w http.ResponseWriter, r *http.Request, req *jsonrpc.Request) {
	c, merr := modernClient(r, req)
	if merr != nil {
		writeJSONBody(w, merr.status, encode(merr.resp))
		return
	}
	if g.log.Enabled(r.Context(), slog.LevelDebug) {
		g.log.Debug("stateless request", "method", req.Method, "user", c.identity.Name,
			"client", string(c.info), "traceparent", c.trace, "owner", c.owner)
	}
	switch req.Method {
	case mcp.MethodDiscover:
		writeMessage(w, g.discover(req))
		return
	case mcp.MethodSubscriptionsListen:
		g.listen(w, r, c, req)
		return
	case mcp.MethodInitialize, mcp.MethodSetLevel, mcp.MethodResourcesSubscribe, mcp.MethodResourcesUnsubscribe, mcp.MethodPing:
		writeModern(w, errorResponse(req.ID, codeMethodNotFound,
			"method "+strconv.Quote(req.Method)+" is not part of protocol "+c.version))
		return
	}
	if req.Method == mcp.MethodToolsCall {
		if msg := g.checkParamHeaders(r, req.Params); msg != "" {
			writeJSONBody(w, http.StatusBadRequest, encode(mcp.ErrorResponse(req.ID, mcp.CodeHeaderMismatch, msg, nil)))
			return
		}
	}
	orig := req.Params
	if len(req.Params) > 0 {
		p, err := mcp.StripReserved(req.Params)
		if err != nil {
			writeModern(w, errorResponse(req.ID, codeInvalidParams, "params must be an object"))
			return
		}
		req = &jsonrpc.Request{ID: req.ID, Method: req.Method, Params: p}
	}
	switch req.Method {
	case mcp.MethodToolsCall, mcp.MethodPromptsGet, mcp.MethodResourcesRead:
		g.serveBridged(w, r, c, req, orig)
		return
	}
	reply := newPostReply(w, r, nil)
	reply.respond(g.completeResult(req.Method, g.dispatch(r.Context(), c, req, reply)))
}

// modernStatus is the HTTP status of a stateless request's reply when it is sent as plain
// JSON (SEP-2575): 404 for method not found; 400 for invalid params and for the stateless
// era's own errors (header mismatch, missing client capability, unsupported version);
// 200 otherwise, also for every other error. A reply already streaming (SSE) keeps its 200.
func modernStatus(resp *jsonrpc.Response) int {
	if resp.Error == nil {
		return http.StatusOK
	}
	switch mcp.ErrorCode(resp.Error) {
	case codeMethodNotFound:
		return http.StatusNotFound
	case codeInvalidParams, mcp.CodeHeaderMismatch, mcp.CodeMissingClientCapability, mcp.CodeUnsupportedProtocolVersion:
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// writeModern writes a stateless request's whole reply as JSON, with modernStatus.
func writeModern(w http.ResponseWriter, resp *jsonrpc.Response) {
	writeJSONBody(w, modernStatus(resp), encode(resp))
}

// completeResult adds the fields the stateless protocol asks of a result: resultType, the
// cache hints on lists and reads, and the hub's io.modelcontextprotocol/serverInfo in _meta
// (the spec's SHOULD for every result; the hub is the server its client talks to, so it
// replaces a backend's). Backend results pass through otherwise intact. A result that
// carries inputRequests and no resultType is a legacy backend's own request for input (a
// go-sdk server reinvokes a tool once after asking, and a second round comes back as its
// result): it is labelled input_required, never complete, so the client answers it by
// retrying with the backend's own keys and requestState, which pass through to it.
func (g *Gateway) completeResult(method string, resp *jsonrpc.Response) *jsonrpc.Response {
	if resp.Error != nil || resp.Result == nil {
		return resp
	}
	res := []byte(resp.Result)
	var err error
	switch method {
	case mcp.MethodToolsList, mcp.MethodPromptsList, mcp.MethodResourcesList, mcp.MethodResourceTemplatesList:
		// The gateway built these itself: none of the members exist yet.
		return &jsonrpc.Response{ID: resp.ID, Result: append(slices.Clip(g.listPrefix), res[1:]...)}
	}
	_, typed := mcp.Field(res, "resultType")
	_, asks := mcp.Field(res, "inputRequests")
	switch {
	case typed:
	case asks:
		res, err = mcp.AddMember(res, "resultType", []byte(`"input_required"`))
	case method != mcp.MethodResourcesRead && !hasMember(res, "_meta"):
		// The common case, a tool's or prompt's result with no _meta: its members follow the
		// two the hub adds, in one copy.
		if out, ok := g.prefixComplete(res); ok {
			return &jsonrpc.Response{ID: resp.ID, Result: out}
		}
		err = mcp.ErrNotObject
	default:
		if method == mcp.MethodResourcesRead {
			if res, err = mcp.AddMember(res, "ttlMs", []byte("0")); err == nil {
				res, err = mcp.AddMember(res, "cacheScope", []byte(`"private"`))
			}
		}
		if err == nil {
			res, err = mcp.AddMember(res, "resultType", []byte(`"complete"`))
		}
	}
	if err == nil {
		res, err = mcp.SetMeta(res, mcp.MetaServerInfo, g.serverInfo)
	}
	if err != nil {
		return errorResponse(resp.ID, codeInternal, "the backend's result is not a JSON object")
	}
	return &jsonrpc.Response{ID: resp.ID, Result: res}
}

// prefixComplete is res, a JSON object, with the _meta (serverInfo) and resultType
// "complete" members first; false when res is not an object.
func (g *Gateway) prefixComplete(res []byte) ([]byte, bool) {
	res = bytes.TrimLeft(res, " \t\r\n")
	if len(res) == 0 || res[0] != '{' {
		return nil, false
	}
	rest := res[1:]
	out := make([]byte, 0, len(g.completePrefix)+len(res)+1)
	out = append(out, g.completePrefix...)
	if t := bytes.TrimLeft(rest, " \t\r\n"); len(t) == 0 || t[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...), true
}

func hasMember(obj []byte, key string) bool {
	_, ok := mcp.Field(obj, key)
	return ok
}

// resultMeta is the _meta of a result the hub builds itself for a stateless client: its
// serverInfo, plus extra members.
func (g *Gateway) resultMeta(extra map[string]any) map[string]any {
	m := map[string]any{mcp.MetaServerInfo: g.serverInfo}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// discover answers server/discover: what initialize tells a legacy client, plus the
// versions the hub speaks.
func (g *Gateway) discover(req *jsonrpc.Request) *jsonrpc.Response {
	res := map[string]any{
		"resultType":        "complete",
		"supportedVersions": allVersions,
		"capabilities":      hubCapabilities(),
		"ttlMs":             discoverTTLMs,
		"cacheScope":        "public",
		"_meta":             g.resultMeta(nil),
	}
	if g.cfg.Instructions != "" {
		res["instructions"] = g.cfg.Instructions
	}
	b, _ := json.Marshal(res)
	return result(req.ID, b)
}

// hubCapabilities are the server capabilities the hub announces in every era.
func hubCapabilities() map[string]any {
	return map[string]any{
		"tools":       map[string]any{"listChanged": true},
		"prompts":     map[string]any{"listChanged": true},
		"resources":   map[string]any{"listChanged": true, "subscribe": true},
		"completions": map[string]any{},
		"logging":     map[string]any{},
	}
}
