package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// The stateless era (MCP 2026-07-28): no initialize, every request carries the protocol
// version and the client's capabilities in _meta, list changes come on a
// subscriptions/listen stream, and server→client requests come back as input_required
// results that the client answers by retrying the request with inputResponses.

// modernVersion is the stateless protocol version the gateway speaks to backends.
const modernVersion = "2026-07-28"

// _meta keys of the stateless era.
const (
	metaProtocolVersion    = "io.modelcontextprotocol/protocolVersion"
	metaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"
	metaClientInfo         = "io.modelcontextprotocol/clientInfo"
	metaServerInfo         = "io.modelcontextprotocol/serverInfo"
	metaLogLevel           = "io.modelcontextprotocol/logLevel"
)

const (
	// maxInputRounds bounds the input_required retries of one call.
	maxInputRounds = 10
	// codeUnsupportedVersion is UnsupportedProtocolVersionError.
	codeUnsupportedVersion = -32022
)

// discoverResult is the part of a server/discover result the backend keeps.
type discoverResult struct {
	SupportedVersions []string                   `json:"supportedVersions"`
	Capabilities      json.RawMessage            `json:"capabilities"`
	Instructions      string                     `json:"instructions"`
	Meta              map[string]json.RawMessage `json:"_meta"`
}

// discover probes for the stateless era. It returns nil, nil when the server answers but
// does not offer modernVersion, and an error when the probe failed (any error means legacy).
func (s *session) discover(ctx context.Context) (*initResult, error) {
	s.modern = true // the probe itself carries the stateless _meta
	ctx, cancel := context.WithTimeout(ctx, s.b.opts.DiscoverTimeout)
	defer cancel()
	result, err := s.request(ctx, "server/discover", json.RawMessage(`{}`))
	var d discoverResult
	if err == nil {
		if err = json.Unmarshal(result, &d); err != nil {
			err = fmt.Errorf("decode result: %w", err)
		}
	}
	if err != nil || !slices.Contains(d.SupportedVersions, modernVersion) {
		s.modern = false
		return nil, err
	}
	return &initResult{ProtocolVersion: modernVersion, Capabilities: d.Capabilities,
		ServerInfo: d.Meta[metaServerInfo], Instructions: d.Instructions}, nil
}

// requestMeta returns the _meta a modern request carries. The hub answers sampling,
// elicitation and roots on behalf of a real client, so it declares them when the call
// has a sink to ask; internal requests (lists) declare none. caps, when not nil, are the
// real client's (Call.ClientCapabilities), so the server refuses what that client cannot
// answer. logLevel is the call's (Call.LogLevel).
//
// The clientInfo goes with every request over HTTP, where one server serves many clients.
// Over stdio it goes with the session's own requests (server/discover, the lists,
// subscriptions/listen), not with a client's calls: the pipe has the one client for the
// process's whole life, so the member tells the server nothing new, and a Go server pays
// for it on every call (go-sdk decodes each _meta member on its own: ≈ 25 µs, a tenth of
// its CPU per call; docs/BENCHMARKS.md). The spec makes it a SHOULD "unless specifically
// configured not to"; this is that configuration (docs/DECISIONS.md).
func (s *session) requestMeta(withClient bool, caps json.RawMessage, logLevel string) metaSet {
	if caps == nil {
		caps = json.RawMessage(`{}`)
		if withClient {
			caps = json.RawMessage(`{"sampling":{},"elicitation":{},"roots":{}}`)
		}
	}
	// Every call of a modern backend makes one: appended in key order, no map, no search.
	m := make(metaSet, 0, 4)
	m = append(m, mcp.Member{Key: metaClientCapabilities, Value: caps})
	if !withClient || s.b.cfg.Transport != TransportStdio {
		m = append(m, mcp.Member{Key: metaClientInfo, Value: s.b.clientInfo})
	}
	if level := metaLevel(logLevel); s.logging && level != nil {
		m = append(m, mcp.Member{Key: metaLogLevel, Value: level})
	}
	return append(m, mcp.Member{Key: metaProtocolVersion, Value: json.RawMessage(`"` + modernVersion + `"`)})
}

// quotedLevels are mcp.LogLevels as JSON strings, in the same order.
var quotedLevels = func() []json.RawMessage {
	q := make([]json.RawMessage, len(mcp.LogLevels))
	for i, l := range mcp.LogLevels {
		q[i] = json.RawMessage(`"` + l + `"`)
	}
	return q
}()

// metaLevel is the io.modelcontextprotocol/logLevel value for a call's Call.LogLevel: nil
// (the key left out, so the server sends no log message) for LogNone; "debug" when the
// level is not known, as with logging/setLevel on a legacy session (everything, filtered
// per client session by the hub); else the level, which must be one MCP defines.
func metaLevel(level string) json.RawMessage {
	if level == LogNone {
		return nil
	}
	if i := slices.Index(mcp.LogLevels, level); i >= 0 {
		return quotedLevels[i]
	}
	return quotedLevels[0] // not known, or not a level: everything (debug), the hub filters
}

// metaSet is the members a request's _meta gets, sorted by key (the order they are
// written in).
type metaSet []mcp.Member

// withMeta returns params with the keys of meta set in params._meta; other _meta keys
// (the caller's progressToken) are kept, and the rest of params passes through byte for
// byte (mcp.MergeField), so the arguments are not decoded and encoded again.
func withMeta(params json.RawMessage, meta metaSet) (json.RawMessage, error) {
	if !mcp.Valid(params) && len(bytes.TrimSpace(params)) > 0 {
		return nil, errors.New("set _meta in params: params are not valid JSON")
	}
	out, err := mcp.MergeField(params, "_meta", meta)
	if err != nil {
		return nil, fmt.Errorf("set _meta in params: %w", err)
	}
	return out, nil
}

// inputRequired is an input_required result.
type inputRequired struct {
	ResultType    string                      `json:"resultType"`
	InputRequests map[string]*jsonrpc.Request `json:"inputRequests"`
	RequestState  *string                     `json:"requestState"`
}

// callModern sends req to a stateless-era server: with _meta on every attempt, and, while
// the server answers input_required, each input request asked of the sink and the request
// retried with the answers (and the server's requestState), for at most maxInputRounds.
func (s *session) callModern(ctx context.Context, c *Call) (*jsonrpc.Response, error) {
	req, sink := c.Request, c.Sink
	if !req.IsCall() {
		return s.call(ctx, c)
	}
	if req.Method == "resources/subscribe" || req.Method == "resources/unsubscribe" {
		return s.resourceSubscription(req), nil
	}
	meta := s.requestMeta(sink != nil, c.ClientCapabilities, c.LogLevel)
	params := req.Params
	// The same headers fit every round: a retry keeps the arguments.
	ctx = s.withParamHeaders(ctx, req.Method, params)
	for round := 0; ; round++ {
		out, err := withMeta(params, meta)
		if err != nil {
			return nil, fmt.Errorf("backend %q: %s: params: %w", s.b.cfg.Name, req.Method, err)
		}
		attempt := *c // the same call, with this round's params
		attempt.Request = &jsonrpc.Request{ID: req.ID, Method: req.Method, Params: out}
		resp, err := s.call(ctx, &attempt)
		if err != nil || resp.Error != nil || !bytes.Contains(resp.Result, []byte(`"input_required"`)) {
			return resp, err
		}
		var ir inputRequired
		if json.Unmarshal(resp.Result, &ir) != nil || ir.ResultType != "input_required" {
			return resp, nil
		}
		if c.PassInputRequired {
			return resp, nil
		}
		if sink == nil {
			return errorResponse(req.ID, jsonrpc.CodeInternalError,
				fmt.Sprintf("backend %q needs input from the client, and there is no client to ask", s.b.cfg.Name)), nil
		}
		if round+1 >= maxInputRounds {
			return errorResponse(req.ID, jsonrpc.CodeInternalError,
				fmt.Sprintf("backend %q asked for input more than %d times", s.b.cfg.Name, maxInputRounds)), nil
		}
		answers, eresp, err := s.answerInputs(ctx, req.ID, ir.InputRequests, sink)
		if err != nil || eresp != nil {
			return eresp, err
		}
		if params, err = retryParams(params, answers, ir.RequestState); err != nil {
			return nil, fmt.Errorf("backend %q: %s: retry params: %w", s.b.cfg.Name, req.Method, err)
		}
	}
}

// answerInputs asks the sink each input request, one at a time (a legacy client sees them
// as ordinary server→client requests). A refusal by the client ends the call with the
// client's error, since inputResponses can only carry results.
func (s *session) answerInputs(ctx context.Context, id jsonrpc.ID, reqs map[string]*jsonrpc.Request, sink Sink) (map[string]json.RawMessage, *jsonrpc.Response, error) {
	answers := make(map[string]json.RawMessage, len(reqs))
	keys := make([]string, 0, len(reqs))
	for k := range reqs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		in := reqs[k]
		switch {
		case in == nil:
			return nil, errorResponse(id, jsonrpc.CodeInternalError, fmt.Sprintf("backend %q: input request %q is empty", s.b.cfg.Name, k)), nil
		case in.Method != "sampling/createMessage" && in.Method != "elicitation/create" && in.Method != "roots/list":
			return nil, errorResponse(id, jsonrpc.CodeInternalError, fmt.Sprintf("backend %q: input request %q has unknown method %q", s.b.cfg.Name, k, in.Method)), nil
		}
		rid, _ := jsonrpc.MakeID(k)
		resp, err := sink.Request(ctx, &jsonrpc.Request{ID: rid, Method: in.Method, Params: in.Params})
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		var we *jsonrpc.Error
		switch {
		case errors.As(err, &we):
			return nil, &jsonrpc.Response{ID: id, Error: we}, nil
		case err != nil:
			return nil, errorResponse(id, jsonrpc.CodeInternalError, fmt.Sprintf("%s for backend %q: %v", in.Method, s.b.cfg.Name, err)), nil
		case resp == nil:
			return nil, errorResponse(id, jsonrpc.CodeInternalError, "the client gave no answer to "+in.Method), nil
		case resp.Error != nil:
			return nil, &jsonrpc.Response{ID: id, Error: resp.Error}, nil
		}
		result := resp.Result
		if len(result) == 0 {
			result = json.RawMessage(`{}`)
		}
		answers[k] = result
	}
	return answers, nil, nil
}

// retryParams returns the original params with inputResponses and requestState set (or
// requestState removed when the server sent none this round).
func retryParams(params json.RawMessage, answers map[string]json.RawMessage, state *string) (json.RawMessage, error) {
	top := map[string]json.RawMessage{}
	if len(params) > 0 {
		if err := json.Unmarshal(params, &top); err != nil {
			return nil, err
		}
	}
	raw, err := marshalRaw(answers)
	if err != nil {
		return nil, err
	}
	top["inputResponses"] = raw
	delete(top, "requestState")
	if state != nil {
		if top["requestState"], err = marshalRaw(*state); err != nil {
			return nil, err
		}
	}
	return marshalRaw(top)
}

func errorResponse(id jsonrpc.ID, code int64, msg string) *jsonrpc.Response {
	return &jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: code, Message: msg}}
}
