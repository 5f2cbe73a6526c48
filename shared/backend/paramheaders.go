package backend

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// Mcp-Param-* headers (SEP-2243): a tool's inputSchema may mark primitive arguments with
// "x-mcp-header": NAME, at any depth. A client of the stateless era over streamable HTTP
// must then mirror each such argument of a tools/call into the header Mcp-Param-NAME (go-sdk's
// servers refuse the call without it). The session keeps an index of the
// annotated arguments, rebuilt whenever the tools are listed, and a tools/call to an
// annotated tool carries its headers in the request's context to headerRoundTripper.

const paramHeaderPrefix = "Mcp-Param-"

// paramBinding is one annotated argument: its path in the arguments and its full header name.
type paramBinding struct {
	path   []string
	header string // Mcp-Param-NAME, canonical
}

// paramIndex maps a tool name to its annotated arguments; tools without any are absent.
type paramIndex map[string][]paramBinding

// headerSchema is the part of a JSON Schema the annotations live in.
type headerSchema struct {
	XMCPHeader json.RawMessage         `json:"x-mcp-header"`
	Properties map[string]headerSchema `json:"properties"`
}

// buildParamIndex indexes the annotated arguments of tools. It returns nil when no tool has
// any, which is the common case and costs one byte scan per tool. An annotation that is not
// a valid header name is skipped (and reported through bad): it could not be sent.
func buildParamIndex(tools []json.RawMessage, bad func(tool, prop string)) paramIndex {
	var idx paramIndex
	for _, raw := range tools {
		if !bytes.Contains(raw, []byte(`"x-mcp-header"`)) {
			continue
		}
		var tool struct {
			Name        string       `json:"name"`
			InputSchema headerSchema `json:"inputSchema"`
		}
		if json.Unmarshal(raw, &tool) != nil || tool.Name == "" {
			continue
		}
		bs := collectParamBindings(tool.InputSchema.Properties, nil, nil, func(prop string) {
			if bad != nil {
				bad(tool.Name, prop)
			}
		})
		if len(bs) == 0 {
			continue
		}
		if idx == nil {
			idx = paramIndex{}
		}
		idx[tool.Name] = bs
	}
	return idx
}

func collectParamBindings(props map[string]headerSchema, prefix []string, out []paramBinding, bad func(string)) []paramBinding {
	for name, p := range props {
		path := append(append([]string(nil), prefix...), name)
		if len(p.XMCPHeader) > 0 {
			var h string
			if json.Unmarshal(p.XMCPHeader, &h) == nil && validHeaderToken(h) {
				out = append(out, paramBinding{path: path, header: http.CanonicalHeaderKey(paramHeaderPrefix + h)})
			} else {
				bad(strings.Join(path, "."))
			}
		}
		out = collectParamBindings(p.Properties, path, out, bad)
	}
	return out
}

// validHeaderToken reports whether s is a non-empty HTTP token (RFC 9110 tchar).
func validHeaderToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// paramHeaders returns the Mcp-Param-* headers of one tools/call, as name/value pairs:
// one per annotated argument that is present, not null and a string, boolean or safe
// integer (the only types an annotation may mark; anything else is left out, as go-sdk's
// client does).
func paramHeaders(bindings []paramBinding, params []byte) [][2]string {
	args, ok := mcp.Field(params, "arguments")
	if !ok {
		return nil
	}
	var out [][2]string
	for _, b := range bindings {
		v := args
		for _, key := range b.path {
			if v, ok = mcp.Field(v, key); !ok {
				break
			}
		}
		if !ok {
			continue
		}
		if s, ok := headerValue(v); ok {
			out = append(out, [2]string{b.header, s})
		}
	}
	return out
}

// headerValue encodes a JSON argument for its header per SEP-2243: a string as itself, or
// =?base64?…?= when it is not plain printable ASCII without surrounding blanks (or looks
// encoded already); a boolean as true/false; an integer within ±(2^53-1) in decimal.
func headerValue(raw []byte) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		if needsBase64(s) {
			return "=?base64?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?=", true
		}
		return s, true
	case 't', 'f':
		b, err := strconv.ParseBool(string(raw))
		return strconv.FormatBool(b), err == nil
	case 'n', '{', '[':
		return "", false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	const maxSafe = 1<<53 - 1
	if err != nil || f != math.Trunc(f) || f > maxSafe || f < -maxSafe {
		return "", false
	}
	return strconv.FormatInt(int64(f), 10), true
}

func needsBase64(s string) bool {
	if s == "" {
		return false
	}
	if first, last := s[0], s[len(s)-1]; first == ' ' || first == '\t' || last == ' ' || last == '\t' {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return true
		}
	}
	return strings.HasPrefix(s, "=?base64?") && strings.HasSuffix(s, "?=")
}

// paramHeadersKey carries a request's Mcp-Param-* headers to headerRoundTripper.
type paramHeadersKey struct{}

// withParamHeaders returns ctx carrying the Mcp-Param-* headers of req if it is a
// tools/call of an annotated tool on a modern HTTP session; otherwise ctx itself. A session
// whose tools have no annotations pays one atomic load.
func (s *session) withParamHeaders(ctx context.Context, method string, params []byte) context.Context {
	if method != "tools/call" || s.hdr == nil {
		return ctx
	}
	idx := s.params.Load()
	if idx == nil || len(*idx) == 0 {
		return ctx
	}
	var bindings []paramBinding
	if raw, ok := mcp.Field(params, "name"); ok && len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		bindings = (*idx)[string(raw[1:len(raw)-1])] // no allocation for the lookup
	} else {
		name, _ := mcp.StringField(params, "name")
		bindings = (*idx)[name]
	}
	if len(bindings) == 0 {
		return ctx
	}
	if h := paramHeaders(bindings, params); len(h) > 0 {
		return context.WithValue(ctx, paramHeadersKey{}, h)
	}
	return ctx
}

// indexTools rebuilds the session's Mcp-Param index from a fresh tools list.
func (s *session) indexTools(tools []json.RawMessage) {
	if !s.modern || s.hdr == nil {
		return
	}
	idx := buildParamIndex(tools, func(tool, prop string) {
		s.b.log.Warn("tool argument has an invalid x-mcp-header annotation; no header is sent for it",
			"tool", tool, "argument", prop)
	})
	s.params.Store(&idx)
}

// traceHeadersKey carries a call's W3C trace context to headerRoundTripper.
type traceHeadersKey struct{}

// WithTraceHeaders returns ctx carrying a traceparent (and tracestate, when not empty) that
// an HTTP backend's requests for the call send as headers, beside the same values in the
// request's _meta. Only a process that traces calls sets them (shared/tracing); without
// them headerRoundTripper pays one context lookup.
func WithTraceHeaders(ctx context.Context, parent, state string) context.Context {
	if parent == "" {
		return ctx
	}
	return context.WithValue(ctx, traceHeadersKey{}, [2]string{parent, state})
}
