package audit

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

func sampleEvent() store.AuditEvent {
	return store.AuditEvent{ID: NewID(time.Now()), Time: time.Date(2026, 1, 2, 3, 4, 5, 6007, time.UTC),
		Kind: store.AuditCall, UserID: "usr_1", Tool: "read_file", Status: "error", Error: "line\nbreak",
		Duration: 1500 * time.Microsecond, Request: `{"path":"/tmp/ü"}`, Detail: "\u2028<&>"}
}

func TestRecordRoundTrip(t *testing.T) {
	ev := sampleEvent()
	line, err := appendRecord([]byte("prefix"), &ev)
	if err != nil {
		t.Fatal(err)
	}
	line = bytes.TrimPrefix(line, []byte("prefix"))
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("a record must be exactly one line: %q", line)
	}
	got, err := ParseRecord(line[:len(line)-1])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ev) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, ev)
	}
}

func TestParseRecordRejects(t *testing.T) {
	ev := sampleEvent()
	good, _ := appendRecord(nil, &ev)
	good = good[:len(good)-1]
	flip := bytes.Clone(good)
	flip[20] ^= 1
	noID, _ := appendRecord(nil, &store.AuditEvent{Kind: "call", Time: time.Now()})
	for name, line := range map[string][]byte{
		"empty":               nil,
		"torn":                good[:len(good)/2],
		"flipped bit":         flip,
		"bad checksum":        append([]byte("zzzzzzzz"), good[8:]...),
		"no separator":        append([]byte("00000000x"), good[9:]...),
		"header":              []byte(strings.TrimSpace(journalHeader)),
		"no id":               noID[:len(noID)-1],
		"valid crc, not JSON": checksumLine([]byte("00000000 {nope")),
		"valid crc, a list":   checksumLine([]byte("00000000 [1,2]")),
	} {
		if _, err := ParseRecord(line); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
}

// checksumLine fills in the checksum of a "00000000 body" line.
func checksumLine(line []byte) []byte {
	out := bytes.Clone(line)
	putHex32(out[:8], crcOf(out[9:]))
	return out
}

func FuzzParseRecord(f *testing.F) {
	ev := sampleEvent()
	good, _ := appendRecord(nil, &ev)
	f.Add(good[:len(good)-1])
	f.Add(checksumLine([]byte(`00000000 {"id":"x","kind":"call","time":"2026-01-01T00:00:00Z","duration_ns":-1}`)))
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := ParseRecord(line)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		// Whatever parses re-encodes to a record that parses to the same event.
		again, err := appendRecord(nil, &ev)
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := ParseRecord(again[:len(again)-1])
		if err != nil || !reflect.DeepEqual(ev, ev2) {
			t.Fatalf("re-encoded record: %v\n%+v\n%+v", err, ev, ev2)
		}
	})
}

func BenchmarkAppendRecord(b *testing.B) {
	ev := sampleEvent()
	ev.Request = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"laptop__github__create_issue","arguments":{"repo":"acme/web","title":"Login button misaligned on Safari"}}}`
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendRecord(buf[:0], &ev)
	}
}
