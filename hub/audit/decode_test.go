package audit

import (
	"encoding/json"
	"reflect"
	"testing"
)

// decodeSeeds are also committed under testdata/fuzz/FuzzDecodeEventJSON.
func decodeSeeds() []string {
	ev := sampleEvent()
	ev.Request = `{"jsonrpc":"2.0","id":7,"params":{"text":"tab\there \"quoted\" \\ é ☃ \u2028"}}`
	good, _ := appendEventJSON(nil, &ev)
	return []string{
		string(good),
		`{"id":"x","time":"2026-01-01T00:00:00Z","kind":"call"}`,
		`{"id":"x","time":"2026-01-01T00:00:00.123456789+02:00","kind":"call","duration_ns":-12}`,
		`{"id":"x","time":"2026-01-01T00:00:00Z","kind":"c\u00e9\/\b\f\n\r\t","tool":"\ud83d\ude00"}`,
		`{"id":"x","time":"2026-01-01T00:00:00Z","kind":"call","duration_ns":1e3}`,
		`{"id":"x","time":"2026-01-01T00:00:00Z","kind":"call","duration_ns":01}`,
		`{"id":"x","kind":"call","id":"y","time":"2026-01-01T24:00:00Z"}`,
		`{"id":"x","time":"2026-01-01T00:00:00Z","kind":"call","extra":"?"}`,
		`{"id":null,"time":"2026-01-01T00:00:00Z","kind":"call"}`,
		"{\"id\":\"\xff\xfe\",\"time\":\"2026-01-01T00:00:00Z\",\"kind\":\"call\"}",
		`{}`, `{"id":"x"`, ` {"id":"x"}`,
	}
}

// FuzzDecodeEventJSON holds the hand-written decoder to encoding/json: whatever it accepts
// decodes to what json.Unmarshal into a JSONEvent gives.
func FuzzDecodeEventJSON(f *testing.F) {
	for _, s := range decodeSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := decodeEventJSON(body)
		if !ok {
			return
		}
		var je JSONEvent
		if err := json.Unmarshal(body, &je); err != nil {
			t.Fatalf("decoded %q, which encoding/json refuses: %v", body, err)
		}
		if want := je.Event(); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", body, got, want)
		}
	})
}

// What this hub writes always takes the fast path.
func TestDecodeEventJSONTakesOwnRecords(t *testing.T) {
	for _, s := range decodeSeeds()[:3] {
		if _, ok := decodeEventJSON([]byte(s)); !ok {
			t.Errorf("fell back on %s", s)
		}
	}
}

func BenchmarkParseRecord(b *testing.B) {
	ev := sampleEvent()
	ev.Request = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"laptop__github__create_issue","arguments":{"repo":"acme/web","title":"Login button misaligned on Safari"}}}`
	ev.Response = `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"Created issue #1234: https://github.com/acme/web/issues/1234"}]}}`
	line, _ := appendRecord(nil, &ev)
	line = line[:len(line)-1]
	b.Run("decoder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseRecord(line); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What ParseRecord cost before the decoder: the same line through encoding/json.
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var je JSONEvent
			if err := json.Unmarshal(line[crcLen+1:], &je); err != nil {
				b.Fatal(err)
			}
			_ = je.Event()
		}
	})
}
