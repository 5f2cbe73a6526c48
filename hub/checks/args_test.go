package checks

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeObject holds decodeObject to json.Unmarshal into a map[string]any: the same
// result, and a failure exactly where Unmarshal returns an error.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{
		`{"path":"/srv/data/x","n":1,"f":-1.5e3,"b":true,"z":null,"a":[1,"x",{"k":[]}],"o":{}}`,
		` { "a" : 1 , "a" : { "b" : 2 } } `, `null`, ` null `, `[]`, `"x"`, `1`, `{}`, `{"a":1,}`,
		`{"a":1e400}`, `{"a":1e-400}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":tru}`,
		`{"k\u0065y":"v\n\t\"\\\/\b\f\r\u00e9\ud83d\ude00"}`, `{"a":"\ud800"}`, `{"a":"\udc00\ud800x"}`,
		"{\"a\":\"\xff\xfe\"}", "{\"\xc3\":1}", `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"tab\there\"}",
		`{"a":[1,]}`, `{"a" 1}`, `{"a":1} x`, `{"a":1}}`, "\v{}", `{"a":nul}`, `{"a":-0}`, `{"a":1E+2}`,
		"{\"a\":\"\u2028\"}", `{"ARGS":1,"args":2}`,
		`{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
		`{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		`{"a":` + strings.Repeat(`{"b":`, 9998) + `1` + strings.Repeat("}", 9998) + `}`,
		`{"a":` + strings.Repeat(`{"b":`, 9999) + `1` + strings.Repeat("}", 9999) + `}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var want map[string]any
		err := json.Unmarshal(doc, &want)
		got, ok := decodeObject(doc)
		if ok != (err == nil) {
			t.Fatalf("decodeObject(%q): ok %v, json.Unmarshal: %v", doc, ok, err)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeObject(%q) = %#v\njson.Unmarshal gives %#v", doc, got, want)
		}
	})
}

// TestCallArguments: the member named exactly "arguments", decoded; nil when it is not an
// object.
func TestCallArguments(t *testing.T) {
	for params, want := range map[string]map[string]any{
		`{"name":"t","arguments":{"path":"/srv","n":2}}`: {"path": "/srv", "n": 2.0},
		`{"name":"t","Arguments":{"path":"/srv"}}`:       nil,
		`{"arguments":{"a":1},"arguments":{"b":"x"}}`:    {"b": "x"},
		`{"arguments":[1]}`:                              nil,
		`{"arguments":{"a":1e999}}`:                      nil,
		`{"arguments":{}}`:                               {},
		`{"arguments":null}`:                             nil,
		`{"arguments":{"q":{"deep":["x",true,null]}}}`:   {"q": map[string]any{"deep": []any{"x", true, nil}}},
	} {
		if got := CallArguments([]byte(params)); !reflect.DeepEqual(got, want) {
			t.Errorf("CallArguments(%s) = %#v, want %#v", params, got, want)
		}
	}
}

// BenchmarkCallArguments decodes the arguments of a typical tools/call for a policy's
// conditions.
func BenchmarkCallArguments(b *testing.B) {
	params := []byte(`{"name":"fs__write_file","arguments":{"path":"/srv/data/reports/q3.md","mode":"overwrite",` +
		`"content":"# Q3\n\nRevenue grew 12% on the quarter.\n","options":{"mkdir":true,"mode":420},"tags":["report","q3"]}}`)
	b.ReportAllocs()
	for b.Loop() {
		if CallArguments(params) == nil {
			b.Fatal("no arguments")
		}
	}
}
