package mcp

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestStripReserved(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"name":"a"}`, `{"name":"a"}`},
		{`{"name":"a","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}`, `{"name":"a"}`},
		{`{"_meta":{"io.modelcontextprotocol/protocolVersion":"x"},"name":"a"}`, `{"name":"a"}`},
		{`{"_meta":{"progressToken":7,"io.modelcontextprotocol/logLevel":"info"},"name":"a"}`, `{"_meta":{"progressToken":7},"name":"a"}`},
		{`{"_meta":{"io.modelcontextprotocol/x":1,"other/key":"v","progressToken":"p"}}`, `{"_meta":{"other/key":"v","progressToken":"p"}}`},
		{`{"_meta":{"io.modelcontextprotocol\/x":1}}`, `{}`},         // escaped key, still reserved
		{`{"_meta":"odd","name":"a"}`, `{"_meta":"odd","name":"a"}`}, // not an object: passes on
		{`{"arguments":{"_meta":{"io.modelcontextprotocol/protocolVersion":"x"}}}`, `{"arguments":{"_meta":{"io.modelcontextprotocol/protocolVersion":"x"}}}`},
	} {
		got, err := StripReserved([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("StripReserved(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"a":}`, `"s"`} {
		if _, err := StripReserved([]byte(bad)); err == nil {
			t.Errorf("StripReserved(%q): no error", bad)
		}
	}
}

func TestAddMember(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{}`, `{"resultType":"complete"}`},
		{` { } `, ` {"resultType":"complete" } `},
		{`{"content":[]}`, `{"resultType":"complete","content":[]}`},
		{`{"resultType":"input_required"}`, `{"resultType":"input_required"}`},
	} {
		got, err := AddMember([]byte(tc.in), "resultType", []byte(`"complete"`))
		if err != nil || !json.Valid(got) {
			t.Errorf("AddMember(%s) = %s, %v", tc.in, got, err)
		}
		if string(got) != tc.want {
			t.Errorf("AddMember(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if _, err := AddMember([]byte(`[1]`), "k", []byte(`1`)); err == nil {
		t.Error("AddMember on an array: no error")
	}
}

func TestMetaField(t *testing.T) {
	p := []byte(`{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}`)
	if v, ok := MetaField(p, MetaProtocolVersion); !ok || string(v) != `"2026-07-28"` {
		t.Errorf("MetaField = %s, %v", v, ok)
	}
	if _, ok := MetaField([]byte(`{"name":"x"}`), MetaProtocolVersion); ok {
		t.Error("MetaField found a key in params without _meta")
	}
}

// FuzzStripReserved: the result is valid JSON whenever the input is, its _meta has no
// reserved key left, and every other member survives with its value.
func FuzzStripReserved(f *testing.F) {
	f.Add([]byte(`{"name":"a","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","progressToken":1}}`))
	f.Add([]byte(`{"_meta":{}}`))
	f.Add([]byte(`{"_meta":{"io.modelcontextprotocol/a":[1,{"b":"}"}]} , "x" : "," }`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := StripReserved(b)
		if err != nil {
			return
		}
		var in, got map[string]json.RawMessage
		if json.Unmarshal(b, &in) != nil {
			return // the scanner accepts some inputs encoding/json refuses (duplicates are fine)
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("StripReserved(%s) = %s: invalid: %v", b, out, err)
		}
		var meta map[string]json.RawMessage
		if json.Unmarshal(got["_meta"], &meta) == nil {
			for k := range meta {
				if strings.HasPrefix(k, MetaPrefix) {
					t.Fatalf("reserved key %q left in %s", k, out)
				}
			}
		}
		delete(in, "_meta")
		delete(got, "_meta")
		if len(in) != len(got) {
			t.Fatalf("members changed: %s -> %s", b, out)
		}
		for k, v := range in {
			if !reflect.DeepEqual(compact(v), compact(got[k])) {
				t.Fatalf("member %q changed: %s -> %s", k, v, got[k])
			}
		}
	})
}

func compact(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestSetMeta(t *testing.T) {
	const k = MetaServerInfo
	v := `{"name":"hub","version":"1"}`
	for _, tc := range []struct{ in, want string }{
		{`{}`, `{"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"hub","version":"1"}}}`},
		{`{"content":[]}`, `{"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"hub","version":"1"}},"content":[]}`},
		// another server's identity is replaced; other _meta keys and every other byte stay
		{`{"content":[ 1 ],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"backend"},"x/y":2}}`,
			`{"content":[ 1 ],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"hub","version":"1"},"x/y":2}}`},
		{`{"_meta":{"progressToken":7}}`, `{"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"hub","version":"1"},"progressToken":7}}`},
		{`{"_meta":{}}`, `{"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"hub","version":"1"}}}`},
		{`{"_meta":{"io.modelcontextprotocol\/serverInfo":1}}`, `{"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"hub","version":"1"}}}`}, // escaped key
		{`{"arguments":{"_meta":{}}}`, `{"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"hub","version":"1"}},"arguments":{"_meta":{}}}`},
	} {
		got, err := SetMeta([]byte(tc.in), k, []byte(v))
		if err != nil || string(got) != tc.want {
			t.Errorf("SetMeta(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"a":}`, `"s"`, `{"_meta":"odd"}`, `{"_meta":[1]}`} {
		if got, err := SetMeta([]byte(bad), k, []byte(v)); err == nil {
			t.Errorf("SetMeta(%q) = %s: no error", bad, got)
		}
	}
}

// BenchmarkSetMeta: what naming the client's capabilities (a legacy backend's call) or the
// hub (a stateless result) costs per message, small and large.
func BenchmarkSetMeta(b *testing.B) {
	for _, size := range []int{100, 64 << 10} {
		obj := []byte(`{"name":"t","arguments":{"text":"` + strings.Repeat("x", size) + `"},"_meta":{"progressToken":1}}`)
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(len(obj)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := SetMeta(obj, MetaClientCapabilities, []byte(`{"sampling":{}}`)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
