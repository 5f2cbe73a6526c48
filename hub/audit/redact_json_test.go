package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// treeRedact is the obvious, slow redaction — decode, walk, encode — that redactJSON must
// agree with.
func (r *Redactor) treeRedact(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			_, isStr := x.(string)
			if r.secretKey(k) || isStr && strings.HasSuffix(normKey(k), stringSecretKeySuffix) {
				v[k] = Redacted
			} else {
				v[k] = r.treeRedact(x)
			}
		}
	case []any:
		next := flagNone
		for i, x := range v {
			s, isStr := x.(string)
			if isStr && (next == flagSecret || next == flagUser && userPassword(s)) {
				v[i] = Redacted
			} else {
				v[i] = r.treeRedact(x)
			}
			next = flagNone
			if isStr {
				next = r.flagOf(s)
			}
		}
	case string:
		return r.Text(v)
	}
	return v
}

func decodeAny(t *testing.T, b []byte) any {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%q", err, b)
	}
	return v
}

func FuzzRedactJSONMatchesTree(f *testing.F) {
	for _, s := range []string{
		`{"a":"b","password":{"x":[1,"2"]},"l":["Bearer abcdefghij",{"Api-Key":1}]}`,
		` [ "mcpgw_abcdefgh12345" , 1e5 , true , null , {} , [] ] `,
		`{"k\u0065y":"secret=hunter2","\u0070assword":"x"}`,
		`"\ud800 token: abc"`, `{"a":{"a":{"a":{"token":[[]]}}}}`, `123`,
		`["curl","-u","bob:pw","--token",{"x":1},"--pass","p","-u","1000:1000","\u002du","a:b"]`,
		`{"auth":"x","oauth":{"a":"b"},"pass":"p","compass":"n","args":["--password","--api-key","k"]}`,
	} {
		f.Add([]byte(s))
	}
	r, err := NewRedactor([]string{"Key"}, []string{`hunter\d`}, 1<<20)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) {
			return
		}
		got, changed, ok := r.redactJSON(nil, doc)
		if !ok {
			t.Fatalf("redactJSON(%q) says it is not JSON", doc)
		}
		if !changed {
			got = doc
		}
		want := r.treeRedact(decodeAny(t, doc))
		if g := decodeAny(t, got); !reflect.DeepEqual(g, want) {
			t.Fatalf("redactJSON(%q) = %q\nwhich decodes to %#v\nwant %#v", doc, got, g, want)
		}
	})
}

// FuzzPayloadMatchesOld holds Payload — one pass that checks the JSON and redacts it, and
// copies nothing when nothing is redacted — to the redaction it replaced (json.Valid, then a
// copying pass: oldPayload, kept in redact_old_test.go as the oracle), byte for byte, for
// any input and with built-in, configured and size-bounding rules.
func FuzzPayloadMatchesOld(f *testing.F) {
	for _, s := range []string{
		`{"a":"b","password":{"x":[1,"2"]},"l":["Bearer abcdefghij",{"Api-Key":1}]}`,
		` [ "mcpgw_abcdefgh12345" , 1e5 , true , null , {} , [] ] `, `{"a":1,}`, `[1,]`, `{"a" 1}`,
		`{"k\u0065y":"secret=hunter2","\u0070assword":"x"}`, `"\ud800 token: abc"`, `"\x"`, `"\u12"`,
		`["curl","-u","bob:pw","--token",{"x":1},"--pass","p","-u","1000:1000","\u002du","a:b"]`,
		`{"auth":"x","oauth":{"a":"b"},"pass":"p","compass":"n","args":["--password","--api-key","k"]}`,
		`-0.5e+3`, `01`, `1.`, `.5`, `-`, `tru`, `nul`, `{"a":[}`, "\"tab\there\"", "\v{}\u00a0",
		`{"u":"https://bob:pw@host/x","v":"https://host/x","k":"keyboard: none","t":"token=abc"}`,
		"{\"a\":\"\xff ok\"}", `{"password":[1,{"x":[tru]}]}`, `["--password",[1,2,}]`,
		strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth),
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
		`{"password":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`,
	} {
		f.Add([]byte(s))
	}
	for _, file := range []string{"secrets.jsonl", "near_misses.jsonl"} {
		for _, e := range readCorpusEntries(f, file) {
			f.Add([]byte(e))
		}
	}
	plain, _ := NewRedactor(nil, nil, 4096)
	configured, err := NewRedactor([]string{"Key", "customer-id"}, []string{`hunter\d`, `\b\d{3}-\d{2}-\d{4}\b`}, 1<<20)
	if err != nil {
		f.Fatal(err)
	}
	small, _ := NewRedactor(nil, []string{"secret"}, 128)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, r := range []*Redactor{plain, configured, small} {
			if got, want := r.Payload(raw), r.oldPayload(raw); got != want {
				t.Fatalf("Payload(%q) = %q\nthe old redaction gives %q", raw, got, want)
			}
		}
	})
}

// readCorpusEntries returns the payloads of a redaction corpus file (testdata/redact).
func readCorpusEntries(f *testing.F, file string) []string {
	b, err := os.ReadFile(filepath.Join("testdata", "redact", file))
	if err != nil {
		f.Fatal(err)
	}
	var out []string
	for _, line := range bytes.Split(b, []byte("\n")) {
		var e struct{ In string }
		if json.Unmarshal(line, &e) == nil {
			out = append(out, e.In)
		}
	}
	return out
}

// FuzzTextMatchesOld holds Text — the patterns' triggers found in one read, a pattern's
// names checked before secretAssignment runs, a replace only after a match — to Text as it
// was (oldText), for any text and with built-in and configured rules.
func FuzzTextMatchesOld(f *testing.F) {
	for _, s := range []string{
		"password=hunter2 and Bearer abcdefghij", "curl -u alice:secret https://x", "keyId: k-alice",
		"api_\u212aey=abc", "TO\u212aEN: x", "\u0130 token=x", "pa\u017f\u017fword=x", "https://bob:pw@host/x",
		"docker -u 1000:1000 img", "mcpgw_abcdefgh12345 AKIAABCDEFGHIJKLMNOP", "\xff token: abc",
	} {
		f.Add(s)
	}
	for _, file := range []string{"secrets.jsonl", "near_misses.jsonl"} {
		for _, e := range readCorpusEntries(f, file) {
			f.Add(e)
		}
	}
	plain, _ := NewRedactor(nil, nil, 4096)
	configured, err := NewRedactor([]string{"Key"}, []string{`hunter\d`, `\b\d{3}-\d{2}-\d{4}\b`}, 1<<20)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range []*Redactor{plain, configured} {
			if got, want := r.Text(s), r.oldText(s); got != want {
				t.Fatalf("Text(%q) = %q\nthe old Text gives %q", s, got, want)
			}
		}
	})
}
