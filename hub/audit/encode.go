package audit

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// appendEventJSON appends e as the JSON of its JSONEvent, field for field what
// encoding/json would write (without HTML escaping), at a fraction of the cost: this runs
// on every call's hot path. A fuzz test holds it to encoding/json.
func appendEventJSON(buf []byte, e *store.AuditEvent) ([]byte, error) {
	if y := e.Time.Year(); y < 0 || y > 9999 {
		return buf, fmt.Errorf("time %s is outside years 0-9999", e.Time)
	}
	buf = append(buf, `{"id":`...)
	buf = appendJSONString(buf, e.ID)
	buf = append(buf, `,"time":"`...)
	buf = e.Time.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","kind":`...)
	buf = appendJSONString(buf, e.Kind)
	for _, f := range [...]struct{ key, v string }{
		{`,"user_id":`, e.UserID}, {`,"key_id":`, e.KeyID}, {`,"caller":`, e.Caller},
		{`,"role":`, e.Role}, {`,"application":`, e.Application}, {`,"agent":`, e.Agent},
		{`,"backend":`, e.Backend}, {`,"tool":`, e.Tool}, {`,"risk":`, e.Risk},
		{`,"decision":`, e.Decision}, {`,"rule":`, e.Rule}, {`,"status":`, e.Status},
		{`,"error":`, e.Error},
	} {
		if f.v != "" {
			buf = appendJSONString(append(buf, f.key...), f.v)
		}
	}
	if e.Duration != 0 {
		buf = strconv.AppendInt(append(buf, `,"duration_ns":`...), int64(e.Duration), 10)
	}
	for _, f := range [...]struct{ key, v string }{
		{`,"trace_id":`, e.TraceID}, {`,"request_hash":`, e.RequestHash},
		{`,"response_hash":`, e.ResponseHash}, {`,"request":`, e.Request},
		{`,"response":`, e.Response}, {`,"action":`, e.Action}, {`,"target":`, e.Target},
		{`,"detail":`, e.Detail},
	} {
		if f.v != "" {
			buf = appendJSONString(append(buf, f.key...), f.v)
		}
	}
	return append(buf, '}'), nil
}

// appendJSONString appends s as a JSON string the way encoding/json does with HTML escaping
// off: invalid UTF-8 becomes U+FFFD, and U+2028/U+2029 are escaped.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(append(buf, s[start:i]...), `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(append(buf, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(buf, s[start:]...), '"')
}
