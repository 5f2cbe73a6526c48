package mcp

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; the f.Add calls keep the essential
// cases next to the property they exercise.

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a__b"}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":"x","error":{"code":-1,"message":"m","data":[1]}}`))
	f.Add([]byte(`[{"jsonrpc":"2.0","method":"n"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if validJSON(b) != json.Valid(b) {
			t.Fatalf("validJSON = %v, json.Valid = %v", !json.Valid(b), json.Valid(b))
		}
		m, err := ParseMessage(b)
		if err != nil {
			if wantParse := !json.Valid(b); (ErrorCode(err) == CodeParseError) != wantParse {
				t.Fatalf("error %v (code %d) for input valid=%v", err, ErrorCode(err), !wantParse)
			}
			return
		}
		enc, err := EncodeMessage(m)
		if err != nil {
			t.Fatalf("EncodeMessage: %v", err)
		}
		m2, err := ParseMessage(enc)
		if err != nil {
			t.Fatalf("re-parse %s: %v", enc, err)
		}
		enc2, _ := EncodeMessage(m2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
		}
	})
}

func FuzzSplitBatch(f *testing.F) {
	f.Add([]byte(`[{"a":1}, [2], "3"]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		parts, err := SplitBatch(b)
		if err != nil {
			return
		}
		for _, p := range parts {
			if !json.Valid(p) {
				t.Fatalf("element %q of %q is not JSON", p, b)
			}
		}
	})
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func FuzzJoin(f *testing.F) {
	f.Add("laptop", "github", "create_issue")
	f.Add("", "日本語", strings.Repeat("x", 80))
	f.Fuzz(func(t *testing.T, a, b, c string) {
		got := Join(a, b, c)
		if !nameRE.MatchString(got) || got != Join(a, b, c) {
			t.Fatalf("Join(%q, %q, %q) = %q", a, b, c, got)
		}
		if a != "" {
			if one := Join(a); !nameRE.MatchString(one) {
				t.Fatalf("Join(%q) = %q", a, one)
			}
		}
		full := Sanitize(a) + "__" + Sanitize(b) + "__" + Sanitize(c)
		if len(full) <= MaxNameLen && got != full {
			t.Fatalf("short name changed: %q → %q", full, got)
		}
		if d := Disambiguate(got, a); !nameRE.MatchString(d) || d == got {
			t.Fatalf("Disambiguate(%q) = %q", got, d)
		}
	})
}

func FuzzURI(f *testing.F) {
	f.Add("laptop__fs", "file:///home/{user}/notes.md")
	f.Add("p", "mcpgw://other/x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, p, u string) {
		p = Sanitize(p)
		if p == "" {
			return
		}
		gp, gu, ok := SplitURI(PrefixURI(p, u))
		if !ok || gp != p || gu != u {
			t.Fatalf("SplitURI(PrefixURI(%q, %q)) = %q, %q, %v", p, u, gp, gu, ok)
		}
	})
}

func FuzzSetMeta(f *testing.F) {
	f.Add([]byte(`{"content":[],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"b"},"p":1}}`), MetaServerInfo, []byte(`{"name":"hub"}`))
	f.Add([]byte(` { } `), MetaClientCapabilities, []byte(`{}`))
	f.Fuzz(func(t *testing.T, obj []byte, key string, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		out, err := SetMeta(obj, key, raw)
		// null decodes into a map without error, but it is not an object: SetMeta refuses it.
		var in map[string]json.RawMessage
		objOK := json.Unmarshal(obj, &in) == nil && in != nil
		var inMeta map[string]json.RawMessage
		metaRaw, hasMeta := in["_meta"]
		metaOK := !hasMeta || json.Unmarshal(metaRaw, &inMeta) == nil && inMeta != nil
		if err != nil {
			if objOK && metaOK && json.Valid(obj) {
				t.Fatalf("SetMeta(%s): %v", obj, err)
			}
			return
		}
		if !json.Valid(obj) {
			return // the scanner accepts some bytes encoding/json refuses; nothing to compare
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("SetMeta(%s) = %s: %v", obj, out, err)
		}
		var wkey string // invalid UTF-8 reads back as U+FFFD
		_ = json.Unmarshal(AppendString(nil, key), &wkey)
		var meta map[string]json.RawMessage
		if err := json.Unmarshal(got["_meta"], &meta); err != nil {
			t.Fatalf("SetMeta(%s) = %s: _meta: %v", obj, out, err)
		}
		var want, have any
		_ = json.Unmarshal(raw, &want)
		_ = json.Unmarshal(meta[wkey], &have)
		if !reflect.DeepEqual(want, have) {
			t.Fatalf("SetMeta(%s) = %s: _meta[%q] = %s, want %s", obj, out, wkey, meta[wkey], raw)
		}
		for k, v := range in {
			if k != "_meta" && !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
				t.Fatalf("SetMeta(%s) = %s: member %q changed", obj, out, k)
			}
		}
		for k, v := range inMeta {
			if k != wkey && !bytes.Equal(bytes.TrimSpace(meta[k]), bytes.TrimSpace(v)) {
				t.Fatalf("SetMeta(%s) = %s: _meta member %q changed", obj, out, k)
			}
		}
	})
}

func FuzzSetStringField(f *testing.F) {
	f.Add([]byte(`{"name":"a","description":"d"}`), "name", "b")
	f.Add([]byte(` { } `), "uri", "x\"y")
	f.Fuzz(func(t *testing.T, obj []byte, key, val string) {
		out, err := SetStringField(obj, key, val)
		if err != nil || !json.Valid(obj) {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("SetStringField(%s) = %s: not JSON", obj, out)
		}
		var want, wkey string // invalid UTF-8 reads back as U+FFFD
		_ = json.Unmarshal(AppendString(nil, val), &want)
		_ = json.Unmarshal(AppendString(nil, key), &wkey)
		if got, ok := StringField(out, wkey); !ok || got != want {
			t.Fatalf("StringField after set = %q, %v; want %q", got, ok, want)
		}
	})
}

// FuzzUnquoteChecked holds StringEnd and UnquoteChecked to json.Unmarshal: every literal
// StringEnd takes, json.Unmarshal takes, and decodes the same; any other body is decoded
// without a panic.
func FuzzUnquoteChecked(f *testing.F) {
	for _, s := range []string{
		`"plain"`, `""`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u0041\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d"`,
		`"\ude00\ud83d x"`, `"\ud83d\u0041"`, `"\ud83d\\u0041"`, "\"\xff\xfe ok\"", "\"\xe2\x82\"",
		`"\uD83D\uDE00"`, `"\u0000"`, "\"é\"", `"\\u"`, `"a\u12"`, `"caf\u00C9"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, lit []byte) {
		if len(lit) < 2 {
			UnquoteChecked(lit)
			return
		}
		UnquoteChecked(lit[1 : len(lit)-1])
		// unquote takes any content, and decodes it as json.Unmarshal of it quoted does.
		body := lit[1 : len(lit)-1]
		var json1 string
		jerr := json.Unmarshal(append(append([]byte{'"'}, body...), '"'), &json1)
		if got, ok := unquote(body); ok != (jerr == nil) || ok && got != json1 {
			t.Fatalf("unquote(%q) = %q, %v; json.Unmarshal %q, %v", body, got, ok, json1, jerr)
		}
		if lit[0] != '"' || StringEnd(lit, 0) != len(lit) {
			return
		}
		var want string
		if err := json.Unmarshal(lit, &want); err != nil {
			t.Fatalf("StringEnd takes %q, json.Unmarshal does not: %v", lit, err)
		}
		if got := UnquoteChecked(lit[1 : len(lit)-1]); got != want {
			t.Fatalf("UnquoteChecked(%q) = %q, json.Unmarshal gives %q", lit, got, want)
		}
	})
}

// FuzzNumberEnd holds NumberEnd to json.Valid: a whole input NumberEnd takes is a valid JSON
// number, and a valid JSON document that starts like a number is taken whole.
func FuzzNumberEnd(f *testing.F) {
	for _, s := range []string{"0", "-0", "1.5e3", "-1.5E-3", "01", "1.", ".5", "-", "1e", "1e+", "12x", "1e400"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end := NumberEnd(b, 0)
		numberLike := len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9')
		if valid := numberLike && json.Valid(b) && !bytes.ContainsAny(b, " \t\r\n"); valid != (end == len(b)) {
			t.Fatalf("NumberEnd(%q) = %d, json.Valid says %v", b, end, valid)
		}
	})
}

// FuzzSkipString holds skipString, which jumps from quote to quote, to skipStringBytes, the
// byte-at-a-time reading it falls back to (and was before): the same end or the same
// failure, from every start of a string in the input.
func FuzzSkipString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"a\\"`, `"a\\\"b"`, `"\\\\"`, `"abc`, `"a\"`, `"a\`, `""`,
		`"` + strings.Repeat(`x`, 100) + `\"` + strings.Repeat(`y`, 100) + `"`,
		`"` + strings.Repeat(`{\"k\":\"v\"},`, 20) + `"`, `"` + strings.Repeat(`\\`, 40) + `"tail`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for i := range b {
			if b[i] != '"' {
				continue
			}
			gotEnd, gotOK := skipString(b, i)
			wantEnd, wantOK := skipStringBytes(b, i)
			if gotEnd != wantEnd || gotOK != wantOK {
				t.Fatalf("%q from %d: skipString %d %v, byte at a time %d %v", b, i, gotEnd, gotOK, wantEnd, wantOK)
			}
		}
	})
}
