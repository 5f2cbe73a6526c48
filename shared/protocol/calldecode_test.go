package protocol

import (
	"encoding/json"
	"reflect"
	"testing"
)

// callFrames are Call payloads as the hub writes them (the pinned ones, the benchmark's),
// which must all take the fast path: a fallback here would silently cost the reflection again.
func callFrames(t testing.TB) [][]byte {
	var out [][]byte
	for _, c := range []Call{
		{Backend: "fs", Message: json.RawMessage(`{"id":1}`), Caller: Caller{UserID: "u", Name: "alice", Role: "r", KeyID: "k", Application: "cursor", Session: "s"}, Deadline: 5},
		{Backend: "web", Message: json.RawMessage(`{"id":2}`), PassInputRequired: true, ClientCapabilities: json.RawMessage(`{"sampling":{}}`), LogLevel: "warning"},
		{Backend: "ünïcode", Message: json.RawMessage(`{"id":"x","params":{"s":"a\"b\\c\u00e9"}}`), Caller: Caller{Name: "José"}, Deadline: -1},
		benchCall(),
	} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestDecodeCallFastPath(t *testing.T) {
	for _, p := range callFrames(t) {
		var fast, slow Call
		if !decodeCallFast(p, &fast) {
			t.Errorf("%s: not decoded by the fast path", p)
			continue
		}
		if err := json.Unmarshal(p, &slow); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s:\nfast %+v\nslow %+v", p, fast, slow)
		}
	}
	// Valid variations the fast path takes too; FuzzDecodeCall's seeds hold them equal.
	for _, p := range []string{
		" {\"backend\" :\t\"fs\" ,\"caller\":{ }}\n",
		`{"backend":"a","backend":"b","message":{"x":1},"message":{"y":2},"caller":{"name":"n"},"caller":{"role":"r"}}`,
		`{"deadline":-0}`, `{"deadline":-999999999999999999}`, `{"passInputRequired":false}`, `{}`,
		`{"message":{"s":"` + "\xc3" + `"}}`, // raw members keep their bytes, as json.RawMessage does
	} {
		if !decodeCallFast([]byte(p), &Call{}) {
			t.Errorf("%s: not decoded by the fast path", p)
		}
	}
	// What the hub does not write goes to json.Unmarshal, through Decode all the same.
	for _, p := range []string{
		`{"Backend":"fs"}`, `{"backend":"f\u0073"}`, `{"backend":null}`, `{"deadline":1.5}`,
		`{"deadline":12345678901234567890}`, `{"message":[1]}`, `{"extra":1}`, `{"caller":{"x":1}}`,
		`{"backend":"fs"} x`, `{"backend":"` + "\xff" + `"}`,
	} {
		var c Call
		if decodeCallFast([]byte(p), &c) {
			t.Errorf("%s: taken by the fast path", p)
		}
		if !reflect.DeepEqual(c, Call{}) {
			t.Errorf("%s: a refused payload changed the Call: %+v", p, c)
		}
	}
}

// FuzzDecodeCall holds Decode of a Call equal to json.Unmarshal: the same error or none, and
// the same Call, into a zero Call and into a used one.
func FuzzDecodeCall(f *testing.F) {
	for _, p := range callFrames(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		used := func() Call {
			return Call{Backend: "old", Message: json.RawMessage(`{"old":1}`), Caller: Caller{Name: "old"}, Deadline: 9}
		}
		for _, start := range []func() Call{func() Call { return Call{} }, used} {
			want, got := start(), start()
			werr := json.Unmarshal(payload, &want)
			gerr := Decode(TypeCall, payload, &got)
			if (werr == nil) != (gerr == nil) || werr != nil && gerr.Error() != "decode call frame: "+werr.Error() {
				t.Fatalf("%q: Decode error %v, json.Unmarshal %v", payload, gerr, werr)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("%q:\n Decode        %#v\n json.Unmarshal %#v", payload, got, want)
			}
		}
	})
}

// BenchmarkDecodeCall is what the agent pays to decode a typical Call frame: Decode (the
// hand-written path) against json.Unmarshal (what Decode did before).
func BenchmarkDecodeCall(b *testing.B) {
	payload, err := json.Marshal(benchCall())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			var c Call
			if err := Decode(TypeCall, payload, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			var c Call
			if err := json.Unmarshal(payload, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
