package audit

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// stdEncode is encoding/json's encoding of the event, which appendEventJSON must match.
func stdEncode(t *testing.T, e *store.AuditEvent) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	je := NewJSONEvent(e)
	if err := enc.Encode(&je); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func FuzzAppendEventJSON(f *testing.F) {
	f.Add("01J", "call", "a\"b\\c\n\t\r\b\f\x00\x1f", "<&>\u2028\u2029 é 😀", "\xff\xfe bad", int64(1500), int64(1767225600123456789))
	f.Add("", "", "", "", "", int64(0), int64(0))
	f.Add("x", "denied", "\x7f", "\ud7ff", "\xed\xa0\x80", int64(-5), int64(-1))
	f.Fuzz(func(t *testing.T, id, kind, s1, s2, s3 string, dur, unixNano int64) {
		e := &store.AuditEvent{ID: id, Kind: kind, Time: time.Unix(0, unixNano), Caller: s1, Error: s2,
			Request: s3, Detail: s1 + s2, Tool: s3, Duration: time.Duration(dur)}
		got, err := appendEventJSON(nil, e)
		if err != nil {
			t.Fatal(err)
		}
		if want := stdEncode(t, e); !bytes.Equal(got, want) {
			t.Fatalf("appendEventJSON:\n got %s\nwant %s", got, want)
		}
	})
}

func TestAppendEventJSONRefusesFarYears(t *testing.T) {
	e := &store.AuditEvent{ID: "x", Kind: "call", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := appendEventJSON(nil, e); err == nil {
		t.Error("year 10000 encoded")
	}
}
