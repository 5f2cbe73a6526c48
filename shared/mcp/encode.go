package mcp

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// ErrorResponse builds an error response. data, when not nil, is encoded as the error's
// data member (a json.RawMessage passes through); data that cannot be encoded is left out.
func ErrorResponse(id jsonrpc.ID, code int64, msg string, data any) *jsonrpc.Response {
	we := &jsonrpc.Error{Code: code, Message: msg}
	if data != nil {
		if b, err := json.Marshal(data); err == nil {
			we.Data = b
		}
	}
	return &jsonrpc.Response{ID: id, Error: we}
}

// EncodeMessage encodes a message in its wire form. Raw members are written verbatim.
// A response without ID is written with "id": null, as JSON-RPC wants for errors about
// unreadable requests; a success response without a result gets {} (MCP's empty result).
func EncodeMessage(m jsonrpc.Message) ([]byte, error) {
	switch m := m.(type) {
	case *jsonrpc.Request:
		return AppendRequest(make([]byte, 0, 64+len(m.Params)), m)
	case *jsonrpc.Response:
		return AppendResponse(make([]byte, 0, 64+len(m.Result)), m)
	}
	return nil, fmt.Errorf("encode message: unknown type %T", m)
}

// AppendRequest appends the wire form of req to b.
func AppendRequest(b []byte, req *jsonrpc.Request) ([]byte, error) {
	b = append(b, `{"jsonrpc":"2.0"`...)
	if req.ID.IsValid() {
		var err error
		if b, err = appendID(append(b, `,"id":`...), req.ID); err != nil {
			return nil, err
		}
	}
	b = AppendString(append(b, `,"method":`...), req.Method)
	if len(req.Params) > 0 {
		b = append(append(b, `,"params":`...), req.Params...)
	}
	return append(b, '}'), nil
}

// AppendResponse appends the wire form of resp to b.
func AppendResponse(b []byte, resp *jsonrpc.Response) ([]byte, error) {
	b, err := appendID(append(b, `{"jsonrpc":"2.0","id":`...), resp.ID)
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		var we *jsonrpc.Error
		if !errors.As(resp.Error, &we) {
			we = &jsonrpc.Error{Code: ErrorCode(resp.Error), Message: resp.Error.Error()}
		}
		b = strconv.AppendInt(append(b, `,"error":{"code":`...), we.Code, 10)
		b = AppendString(append(b, `,"message":`...), we.Message)
		if len(we.Data) > 0 {
			b = append(append(b, `,"data":`...), we.Data...)
		}
		return append(b, "}}"...), nil
	}
	b = append(b, `,"result":`...)
	if len(resp.Result) == 0 {
		return append(b, "{}}"...), nil
	}
	return append(append(b, resp.Result...), '}'), nil
}

func appendID(b []byte, id jsonrpc.ID) ([]byte, error) {
	switch v := id.Raw().(type) {
	case nil:
		return append(b, "null"...), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case string:
		return AppendString(b, v), nil
	}
	return nil, fmt.Errorf("encode id: unexpected type %T", id.Raw())
}

// AppendString appends s as a JSON string, without HTML escaping; invalid UTF-8 becomes
// U+FFFD, as with encoding/json.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return appendStringSlow(b, s)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

func appendStringSlow(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				b = append(b, `\u202`...)
				b = append(b, hex[r&0xf])
			default:
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return append(b, '"')
}
