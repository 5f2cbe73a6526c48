package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// Mcp-Param-* headers (SEP-2243): a tool's inputSchema may mark primitive arguments with
// "x-mcp-header": NAME; a stateless client then mirrors each such argument into the header
// Mcp-Param-NAME, so that proxies can route on it without reading the body. The hub checks
// that the headers say what the body says, as a server must: anything routed on a header
// has to be what the backend will act on.

const paramHeaderPrefix = "Mcp-Param-"

// paramBinding is one annotated argument: its path in the arguments and its header name.
type paramBinding struct {
	path   []string
	header string
}

// paramIndex holds the annotated arguments of one routing table's tools, by target.
type paramIndex struct {
	table    *router.Table
	byTarget map[router.Target][]paramBinding
}

// paramCache is the index of the current table, rebuilt when the table changes.
type paramCache struct{ idx atomic.Pointer[paramIndex] }

func (c *paramCache) bindings(t *router.Table, tgt router.Target) []paramBinding {
	idx := c.idx.Load()
	if idx == nil || idx.table != t {
		idx = buildParamIndex(t)
		c.idx.Store(idx)
	}
	return idx.byTarget[tgt]
}

// schemaProp is the part of a JSON Schema property the annotations live in.
type schemaProp struct {
	XMCPHeader string                `json:"x-mcp-header"`
	Properties map[string]schemaProp `json:"properties"`
}

func buildParamIndex(t *router.Table) *paramIndex {
	idx := &paramIndex{table: t, byTarget: map[router.Target][]paramBinding{}}
	for _, raw := range t.Tools() {
		if !bytes.Contains(raw, []byte(`"x-mcp-header"`)) {
			continue
		}
		var tool struct {
			Name        string     `json:"name"`
			InputSchema schemaProp `json:"inputSchema"`
		}
		if json.Unmarshal(raw, &tool) != nil {
			continue
		}
		tgt, ok := t.Tool(tool.Name)
		if !ok {
			continue
		}
		if b := collectBindings(tool.InputSchema.Properties, nil, nil); len(b) > 0 {
			idx.byTarget[tgt] = b
		}
	}
	return idx
}

func collectBindings(props map[string]schemaProp, prefix []string, out []paramBinding) []paramBinding {
	for name, p := range props {
		path := append(append([]string(nil), prefix...), name)
		if p.XMCPHeader != "" {
			out = append(out, paramBinding{path: path, header: p.XMCPHeader})
		}
		out = collectBindings(p.Properties, path, out)
	}
	return out
}

// checkParamHeaders compares the Mcp-Param-* headers of a stateless tools/call with its
// arguments; it returns what is wrong, or "".
func (g *Gateway) checkParamHeaders(r *http.Request, params []byte) string {
	name, _ := mcp.StringField(params, "name")
	t := g.tables.Table()
	tgt, ok := t.Tool(name)
	if !ok {
		return ""
	}
	bindings := g.params.bindings(t, tgt)
	if len(bindings) == 0 {
		return ""
	}
	args, _ := mcp.Field(params, "arguments")
	for _, b := range bindings {
		header := paramHeaderPrefix + b.header
		val, present := argument(args, b.path)
		hv, sent := r.Header.Get(header), len(r.Header.Values(header)) > 0
		switch {
		case !present:
			if sent {
				return "header mismatch: " + header + " sent for the absent argument " + strconv.Quote(strings.Join(b.path, "."))
			}
		case !sent:
			return "header mismatch: missing " + header + " header for argument " + strconv.Quote(strings.Join(b.path, "."))
		default:
			decoded, ok := decodeParamHeader(hv)
			if !ok {
				return "header mismatch: " + header + " is not valid Base64"
			}
			if !sameValue(decoded, val) {
				return "header mismatch: " + header + " " + strconv.Quote(hv) + " does not match argument " + strconv.Quote(strings.Join(b.path, "."))
			}
		}
	}
	return ""
}

// argument returns the value at path in the arguments object; absent when it is missing
// or null.
func argument(args []byte, path []string) ([]byte, bool) {
	v := args
	for _, key := range path {
		var ok bool
		if v, ok = mcp.Field(v, key); !ok {
			return nil, false
		}
	}
	if string(bytes.TrimSpace(v)) == "null" {
		return nil, false
	}
	return v, true
}

// decodeParamHeader undoes the header encoding: a value that is not safe as a header is
// sent as =?base64?…?=.
func decodeParamHeader(v string) (string, bool) {
	inner, ok := strings.CutPrefix(v, "=?base64?")
	if !ok {
		return v, true
	}
	inner, ok = strings.CutSuffix(inner, "?=")
	if !ok {
		return v, true
	}
	b, err := base64.StdEncoding.DecodeString(inner)
	return string(b), err == nil
}

// sameValue compares a header value with a JSON argument: a string as itself, a boolean
// as true/false, an integer by value. Other values cannot be mirrored into a header.
func sameValue(header string, arg []byte) bool {
	var v any
	if json.Unmarshal(arg, &v) != nil {
		return false
	}
	switch x := v.(type) {
	case string:
		return header == x
	case bool:
		return header == strconv.FormatBool(x)
	case float64:
		n, err := strconv.ParseFloat(header, 64)
		return err == nil && n == x && x == float64(int64(x))
	}
	return false
}
