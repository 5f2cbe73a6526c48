package mcp

import (
	"strings"
	"unsafe"
)

// unsafeString views b as a string without copying; b must not change while it is used.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// The stateless protocol (2026-07-28): every request carries its version and client
// context in params._meta under these reserved keys.
const (
	VersionStateless = "2026-07-28"

	MetaPrefix             = "io.modelcontextprotocol/"
	MetaProtocolVersion    = MetaPrefix + "protocolVersion"
	MetaClientCapabilities = MetaPrefix + "clientCapabilities"
	MetaClientInfo         = MetaPrefix + "clientInfo"
	MetaLogLevel           = MetaPrefix + "logLevel"
	MetaServerInfo         = MetaPrefix + "serverInfo"
	MetaSubscriptionID     = MetaPrefix + "subscriptionId"
)

// LogLevels are the syslog severities MCP's log messages use, least severe first
// (logging/setLevel, io.modelcontextprotocol/logLevel).
var LogLevels = []string{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}

// MetaField returns the raw value of key inside the params' _meta object.
func MetaField(params []byte, key string) ([]byte, bool) {
	meta, ok := Field(params, "_meta")
	if !ok {
		return nil, false
	}
	return Field(meta, key)
}

// StripReserved returns params without the reserved io.modelcontextprotocol/ keys of
// _meta, dropping _meta when nothing else is left in it: a backend gets the request as its
// own era expects (a session-based server may refuse a request whose _meta names a
// stateless version). The rest of the bytes pass through unchanged; when there is nothing
// to strip, params itself is returned.
func StripReserved(params []byte) ([]byte, error) {
	return dropMembers(params, func(key string, val []byte) ([]byte, bool) {
		if key != "_meta" {
			return nil, false
		}
		meta, err := dropMembers(val, func(k string, _ []byte) ([]byte, bool) {
			return nil, strings.HasPrefix(k, MetaPrefix)
		})
		if err == nil && len(meta) == len(val) {
			return nil, false
		}
		if err != nil {
			return nil, false // not an object: pass it on, the backend will say what it thinks
		}
		if isEmptyObject(meta) {
			return nil, true
		}
		if len(meta) == len(val) {
			return nil, false
		}
		return meta, false
	})
}

// dropMembers rewrites the object obj member by member; edit returns (replacement, drop)
// for each: drop removes it, a non-nil replacement replaces its value. When nothing
// changes, obj itself is returned; otherwise the kept members are copied byte for byte.
func dropMembers(obj []byte, edit func(key string, val []byte) ([]byte, bool)) ([]byte, error) {
	it, ok := newObjIter(obj)
	if !ok {
		return nil, ErrNotObject
	}
	type member struct {
		ks, vs, ve int
		val        []byte
		drop       bool
	}
	// An object of a few members (a request's params, its _meta) keeps them on the stack.
	var few [8]member
	members := few[:0]
	changed, grow := false, 0
	for {
		ks := skipSpace(obj, it.i)
		if ks < len(obj) && obj[ks] == ',' {
			ks = skipSpace(obj, ks+1)
		}
		k, vs, ve, ok := it.next()
		if !ok {
			break
		}
		var key string
		if isPlain(k) {
			key = unsafeString(k) // edit only compares it; no copy on the hot path
		} else if key, ok = unquote(k); !ok {
			return nil, ErrNotObject
		}
		rep, drop := edit(key, obj[vs:ve])
		changed = changed || drop || rep != nil
		if rep != nil {
			grow += max(0, len(rep)-(ve-vs))
		}
		members = append(members, member{ks: ks, vs: vs, ve: ve, val: rep, drop: drop})
	}
	if it.err {
		return nil, ErrNotObject
	}
	if !changed {
		return obj, nil
	}
	out := make([]byte, 0, len(obj)+grow)
	out = append(out, '{')
	n := 0
	for _, m := range members {
		if m.drop {
			continue
		}
		if n > 0 {
			out = append(out, ',')
		}
		n++
		if m.val != nil {
			out = append(append(out, obj[m.ks:m.vs]...), m.val...)
		} else {
			out = append(out, obj[m.ks:m.ve]...)
		}
	}
	return append(out, '}'), nil
}

func isEmptyObject(b []byte) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	return i < len(b) && b[i] == '}'
}

// AddMember returns obj with "key": raw added at the front when obj has no member key;
// obj itself when it already has one. raw must be valid JSON.
func AddMember(obj []byte, key string, raw []byte) ([]byte, error) {
	if _, ok := Field(obj, key); ok {
		return obj, nil
	}
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, ErrNotObject
	}
	out := make([]byte, 0, len(obj)+len(key)+len(raw)+4)
	out = append(out, obj[:i+1]...)
	out = AppendString(out, key)
	out = append(append(out, ':'), raw...)
	if !isEmptyObject(obj[i:]) {
		out = append(out, ',')
	}
	return append(out, obj[i+1:]...), nil
}

// SetMeta returns the JSON object obj with the member key of its _meta object set to raw:
// an existing member of that name is replaced, and _meta is added when obj has none. Every
// other byte of obj passes through unchanged. raw must be valid JSON. It fails with
// ErrNotObject when obj, or its _meta, is not a JSON object.
func SetMeta(obj []byte, key string, raw []byte) ([]byte, error) {
	var bad error
	found := false
	out, err := dropMembers(obj, func(k string, val []byte) ([]byte, bool) {
		if k != "_meta" || bad != nil {
			return nil, false
		}
		found = true
		meta, err := dropMembers(val, func(mk string, _ []byte) ([]byte, bool) { return nil, mk == key })
		if err == nil {
			meta, err = AddMember(meta, key, raw)
		}
		if err != nil {
			bad = err
			return nil, false
		}
		return meta, false
	})
	switch {
	case err != nil:
		return nil, err
	case bad != nil:
		return nil, bad
	case found:
		return out, nil
	}
	meta := AppendString([]byte{'{'}, key)
	meta = append(append(append(meta, ':'), raw...), '}')
	return AddMember(obj, "_meta", meta)
}
