package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Sentinels for what an HTTP handler answers when a message cannot be used: ErrParse means
// the bytes are not JSON (-32700), ErrInvalidRequest that the JSON is not a valid JSON-RPC
// 2.0 message (-32600). ErrorCode maps them.
var (
	ErrParse          = errors.New("parse error")
	ErrInvalidRequest = errors.New("invalid request")
)

// ErrorCode returns the JSON-RPC error code that answers err: -32700 for ErrParse, -32600
// for ErrInvalidRequest, the code of a wrapped *jsonrpc.Error, and -32603 otherwise.
func ErrorCode(err error) int64 {
	var we *jsonrpc.Error
	switch {
	case errors.Is(err, ErrParse):
		return CodeParseError
	case errors.Is(err, ErrInvalidRequest):
		return CodeInvalidRequest
	case errors.Is(err, ErrInvalidInput):
		return CodeInvalidParams
	case errors.As(err, &we):
		return we.Code
	}
	return CodeInternalError
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, args...)...)
}

// IsBatch reports whether b holds a JSON array, that is a JSON-RPC batch (allowed by MCP
// 2025-03-26 only; later versions answer it with -32600).
func IsBatch(b []byte) bool {
	i := skipSpace(b, 0)
	return i < len(b) && b[i] == '['
}

// SplitBatch returns the elements of the JSON-RPC batch b, each to be given to
// ParseMessage. The elements alias b. An empty batch is an invalid request.
func SplitBatch(b []byte) ([]json.RawMessage, error) {
	if !validJSON(b) {
		return nil, errMalformed
	}
	i := skipSpace(b, 0)
	if b[i] != '[' {
		return nil, invalid("not a batch")
	}
	var out []json.RawMessage
	for i = skipSpace(b, i+1); i < len(b) && b[i] != ']'; {
		end, _ := skipValue(b, i) // b is valid JSON
		out = append(out, b[i:end:end])
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	if len(out) == 0 {
		return nil, invalid("empty batch")
	}
	return out, nil
}

// wireFields are the raw members of a JSON-RPC message; nil means absent.
type wireFields struct {
	version, id, method, params, result, err []byte
	// alias: params and result may stay slices of the message (ParseClientMessageOwned).
	alias bool
}

var errMalformed = fmt.Errorf("%w: malformed JSON", ErrParse)

// scanFields validates b and finds the members of the message in one pass.
func scanFields(b []byte, v *validator) (wireFields, error) {
	var f wireFields
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		if validJSON(b) {
			return f, invalid("not a JSON object")
		}
		return f, errMalformed
	}
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		if skipSpace(b, i+1) != len(b) {
			return f, errMalformed
		}
		return f, nil
	}
	var seen map[string]struct{}
	for i < len(b) && b[i] == '"' {
		kend, ok := v.str(b, i)
		if !ok {
			return f, v.failed(" in a key")
		}
		key := b[i+1 : kend-1]
		if v.strict && !v.addKey(b, span{int32(i + 1), int32(kend - 1)}, 0, &seen) {
			return f, v.failed("")
		}
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return f, errMalformed
		}
		vs := skipSpace(b, i+1)
		ve, ok := v.value(b, vs, 1)
		if !ok {
			v.at(string(key))
			return f, v.failed("")
		}
		f.set(key, b[vs:ve])
		if i = skipSpace(b, ve); i < len(b) && b[i] == ',' {
			if i = skipSpace(b, i+1); i >= len(b) || b[i] != '"' {
				return f, errMalformed
			}
		} else if i < len(b) && b[i] == '}' {
			i++
			break
		} else {
			return f, errMalformed
		}
	}
	if i == 0 || b[i-1] != '}' || skipSpace(b, i) != len(b) {
		return f, errMalformed
	}
	return f, nil
}

// failed is the error of a scan that stopped: the strict refusal if there is one (with
// suffix added to its reason), else malformed JSON.
func (v *validator) failed(suffix string) error {
	if v.fail == nil {
		return errMalformed
	}
	v.fail.Reason += suffix
	return v.fail
}

func (f *wireFields) set(key, v []byte) {
	k := string(key) // no allocation: only compared below
	if !isPlain(key) {
		k, _ = unquote(key)
	}
	switch k {
	case "jsonrpc":
		f.version = v
	case "id":
		f.id = v
	case "method":
		f.method = v
	case "params":
		f.params = v
	case "result":
		f.result = v
	case "error":
		f.err = v
	}
}

// ParseMessage parses one JSON-RPC 2.0 message: a *jsonrpc.Request (a notification when
// its ID is not valid) or a *jsonrpc.Response. Errors wrap ErrParse or ErrInvalidRequest.
// Raw members (params, result, error data) are copied, so b may be reused afterwards.
// IDs must be strings or integers, as MCP requires; only an error response may lack one.
func ParseMessage(b []byte) (jsonrpc.Message, error) {
	var v validator
	f, err := scanFields(b, &v)
	if err != nil {
		return nil, err
	}
	return parseFields(f)
}

// ParseClientMessage is ParseMessage for what a client sends, which the gateway checks and
// then forwards: in the same pass it refuses JSON that parsers read differently, so that
// what the policy sees is what the backend gets. Refused: an object with two members of
// the same key (decoded: "a" and "\u0061" are one key) anywhere in the message, invalid
// UTF-8 anywhere in a string or key, and an escaped lone UTF-16 surrogate ("\ud800").
// Such an error wraps ErrInvalidInput (an *InputError naming the place) and the message is
// returned beside it when the JSON is otherwise a valid message, so that a request can be
// answered under its id.
func ParseClientMessage(b []byte) (jsonrpc.Message, error) { return parseClientMessage(b, false) }

// ParseClientMessageOwned is ParseClientMessage for a b that the caller hands over: the
// message's params and result are slices of b, not copies (a tools/call's arguments can be
// large), so b must not change afterwards.
func ParseClientMessageOwned(b []byte) (jsonrpc.Message, error) { return parseClientMessage(b, true) }

func parseClientMessage(b []byte, alias bool) (jsonrpc.Message, error) {
	if len(b) > math.MaxInt32 { // key offsets are int32
		return nil, invalid("message over 2 GiB")
	}
	v := validator{strict: true}
	f, err := scanFields(b, &v)
	if err == nil {
		f.alias = alias
		return parseFields(f)
	}
	if v.fail == nil {
		return nil, err
	}
	// Valid JSON that breaks a strict rule: read it as ParseMessage does, for the id.
	msg, perr := ParseMessage(b)
	if perr != nil {
		return nil, perr
	}
	return msg, err
}

func parseFields(f wireFields) (jsonrpc.Message, error) {
	if string(f.version) != `"2.0"` {
		return nil, invalid(`"jsonrpc" must be "2.0"`)
	}
	if f.method != nil {
		return parseRequest(f)
	}
	return parseResponse(f)
}

func parseRequest(f wireFields) (*jsonrpc.Request, error) {
	if f.result != nil || f.err != nil {
		return nil, invalid("request with result or error")
	}
	if len(f.method) < 2 || f.method[0] != '"' {
		return nil, invalid(`"method" must be a string`)
	}
	req := &jsonrpc.Request{}
	if raw := f.method[1 : len(f.method)-1]; isPlain(raw) {
		req.Method = internMethod(raw)
	} else {
		req.Method, _ = rawString(f.method)
	}
	if req.Method == "" {
		return nil, invalid(`"method" must not be empty`)
	}
	if f.id != nil {
		id, err := parseID(f.id)
		if err != nil {
			return nil, err
		}
		if !id.IsValid() {
			return nil, invalid("request id must not be null")
		}
		req.ID = id
	}
	switch {
	case f.params == nil || string(f.params) == "null":
	case f.params[0] == '{' || f.params[0] == '[':
		req.Params = f.params[:len(f.params):len(f.params)] // an append copies
		if !f.alias {
			req.Params = bytes.Clone(f.params)
		}
	default:
		return nil, invalid(`"params" must be an object or an array`)
	}
	return req, nil
}

func parseResponse(f wireFields) (*jsonrpc.Response, error) {
	if f.err != nil && string(f.result) == "null" {
		f.result = nil // some peers send "result": null beside an error
	}
	if (f.result == nil) == (f.err == nil) {
		return nil, invalid("need exactly one of method, result or error")
	}
	resp := &jsonrpc.Response{}
	if f.id != nil {
		id, err := parseID(f.id)
		if err != nil {
			return nil, err
		}
		resp.ID = id
	}
	if f.result != nil {
		if !resp.ID.IsValid() {
			return nil, invalid("result without id")
		}
		resp.Result = f.result[:len(f.result):len(f.result)]
		if !f.alias {
			resp.Result = bytes.Clone(f.result)
		}
		return resp, nil
	}
	werr, err := parseError(f.err)
	if err != nil {
		return nil, err
	}
	resp.Error = werr
	return resp, nil
}

func parseError(raw []byte) (*jsonrpc.Error, error) {
	if raw[0] != '{' {
		return nil, invalid(`"error" must be an object`)
	}
	var w struct {
		Code    *int64          `json:"code"`
		Message *string         `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, invalid("error object: %v", err)
	}
	if w.Code == nil || w.Message == nil {
		return nil, invalid(`error object needs "code" and "message"`)
	}
	we := &jsonrpc.Error{Code: *w.Code, Message: *w.Message}
	if len(w.Data) > 0 && string(w.Data) != "null" {
		we.Data = w.Data
	}
	return we, nil
}

// maxID bounds integer IDs: go-sdk's jsonrpc.MakeID takes them as float64, and no
// JavaScript client can send a larger one exactly.
const maxID = 1 << 53

// parseID accepts a string, an integer within ±2^53 (also written as 1e3 or 2.0) or null.
func parseID(raw []byte) (jsonrpc.ID, error) {
	switch c := raw[0]; {
	case c == '"':
		s, ok := rawString(raw)
		if !ok {
			return jsonrpc.ID{}, invalid("bad id string")
		}
		return jsonrpc.MakeID(s)
	case c == 'n' && string(raw) == "null":
		return jsonrpc.ID{}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		if n, ok := smallInt(raw); ok {
			return jsonrpc.MakeID(float64(n))
		}
		v, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || v != math.Trunc(v) || math.Abs(v) > maxID {
			return jsonrpc.ID{}, invalid("id %s is not an integer within ±2^53", raw)
		}
		return jsonrpc.MakeID(v)
	}
	return jsonrpc.ID{}, invalid("id must be a string or an integer")
}

// smallInt parses a plain decimal integer of up to 15 digits without allocating.
func smallInt(raw []byte) (int64, bool) {
	neg := raw[0] == '-'
	if neg {
		raw = raw[1:]
	}
	if len(raw) == 0 || len(raw) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
