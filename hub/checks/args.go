package checks

import (
	"strconv"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// maxArgsDepth is encoding/json's nesting limit: deeper arguments are not JSON to it.
const maxArgsDepth = 10000

// decodeObject is json.Unmarshal of doc into a map[string]any, with the same result — the
// same maps, slices, float64s and strings, nil for null — and ok false where Unmarshal
// returns an error (doc is not JSON, not an object or null, or holds a number a float64
// cannot hold). It reads doc once, where Unmarshal checks it in a pass of its own first
// and then decodes it by reflection.
func decodeObject(doc []byte) (m map[string]any, ok bool) {
	d := argDecoder{doc: doc}
	d.space()
	if d.i < len(doc) && doc[d.i] == 'n' {
		if !d.literal("null") {
			return nil, false
		}
	} else {
		if d.i >= len(doc) || doc[d.i] != '{' {
			return nil, false
		}
		if m, ok = d.object(1); !ok {
			return nil, false
		}
	}
	if d.space(); d.i != len(doc) {
		return nil, false
	}
	return m, true
}

type argDecoder struct {
	doc []byte
	i   int
}

func (d *argDecoder) space() {
	for d.i < len(d.doc) {
		switch d.doc[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *argDecoder) literal(lit string) bool {
	if len(d.doc)-d.i < len(lit) || string(d.doc[d.i:d.i+len(lit)]) != lit {
		return false
	}
	d.i += len(lit)
	return true
}

// value decodes the value at doc[i] (no space before it).
func (d *argDecoder) value(depth int) (any, bool) {
	if d.i >= len(d.doc) {
		return nil, false
	}
	switch d.doc[d.i] {
	case '{':
		if depth >= maxArgsDepth {
			return nil, false
		}
		return d.object(depth + 1)
	case '[':
		if depth >= maxArgsDepth {
			return nil, false
		}
		return d.array(depth + 1)
	case '"':
		return d.str()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	}
	return d.number()
}

// object decodes the object at doc[i] (a '{'); a repeated key keeps its last value.
func (d *argDecoder) object(depth int) (map[string]any, bool) {
	m := map[string]any{}
	d.i++
	if d.space(); d.i < len(d.doc) && d.doc[d.i] == '}' {
		d.i++
		return m, true
	}
	for {
		if d.i >= len(d.doc) || d.doc[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		if d.space(); d.i >= len(d.doc) || d.doc[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.space()
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		m[k] = v
		switch end, ok := d.after('}'); {
		case !ok:
			return nil, false
		case end:
			return m, true
		}
	}
}

func (d *argDecoder) array(depth int) ([]any, bool) {
	a := make([]any, 0)
	d.i++
	if d.space(); d.i < len(d.doc) && d.doc[d.i] == ']' {
		d.i++
		return a, true
	}
	for {
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		switch end, ok := d.after(']'); {
		case !ok:
			return nil, false
		case end:
			return a, true
		}
	}
}

// after reads what follows a member or an element: a comma (then spaces), or closer, which
// ends the object or array (end). ok is false for anything else.
func (d *argDecoder) after(closer byte) (end, ok bool) {
	if d.space(); d.i >= len(d.doc) {
		return false, false
	}
	switch d.doc[d.i] {
	case ',':
		d.i++
		d.space()
		return false, true
	case closer:
		d.i++
		return true, true
	}
	return false, false
}

// str decodes the string at doc[i] (a '"') as encoding/json does: an invalid UTF-8 byte or a
// lone surrogate becomes U+FFFD.
func (d *argDecoder) str() (string, bool) {
	end := mcp.StringEnd(d.doc, d.i)
	if end < 0 {
		return "", false
	}
	body := d.doc[d.i+1 : end-1]
	d.i = end
	return mcp.UnquoteChecked(body), true
}

// number decodes the JSON number at doc[i] into a float64.
func (d *argDecoder) number() (any, bool) {
	end := mcp.NumberEnd(d.doc, d.i)
	if end < 0 {
		return nil, false
	}
	f, err := strconv.ParseFloat(string(d.doc[d.i:end]), 64)
	if err != nil {
		return nil, false
	}
	d.i = end
	return f, true
}
