package audit

import (
	"bytes"
	"encoding/json"
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
		got := r.redactJSON(nil, doc)
		want := r.treeRedact(decodeAny(t, doc))
		if g := decodeAny(t, got); !reflect.DeepEqual(g, want) {
			t.Fatalf("redactJSON(%q) = %q\nwhich decodes to %#v\nwant %#v", doc, got, g, want)
		}
	})
}
