package mcp

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

func findID(pieces ...string) (*IDFinder, jsonrpc.ID, bool) {
	var f IDFinder
	for _, p := range pieces {
		_, _ = f.Write([]byte(p))
	}
	id, ok := f.ID()
	return &f, id, ok
}

func TestIDFinder(t *testing.T) {
	big := strings.Repeat(`x\"{[`, 1000)
	for _, c := range []struct {
		in      string
		want    any // nil: no id
		request bool
	}{
		{`{"jsonrpc":"2.0","id":7,"result":{}}`, int64(7), false},
		{`{"result":{"content":[{"type":"text","text":"` + big + `"}]},"jsonrpc":"2.0","id":42}`, int64(42), false},
		{` { "id" : "a\"b" , "method" : "x" } `, `a"b`, true},
		{`{"\u0069d":3}`, int64(3), false},
		{`{"params":{"id":1},"id":2}`, int64(2), false},
		{`{"result":[1,{"id":9}],"id":-4}`, int64(-4), false},
		{`{"id":1,"id":2}`, int64(2), false},
		{`{"jsonrpc":"2.0","id":5,"result":{oops`, int64(5), false}, // broken after the id
		{`{"id":5 garbage`, int64(5), false},
		{`{"id":null,"error":{}}`, nil, false},
		{`{"id":{"a":1}}`, nil, false},
		{`{"id":1.5}`, nil, false},
		{`{"id":"` + strings.Repeat("y", 200) + `"}`, nil, false},
		{`not json {"id":1}`, nil, false},
		{`{"result":"` + big, nil, false}, // cut before the id
		{``, nil, false},
	} {
		// Whole, and cut at every byte into two pieces.
		for cut := 0; cut <= len(c.in); cut += 1 + len(c.in)/50 {
			f, id, ok := findID(c.in[:cut], c.in[cut:])
			if ok != (c.want != nil) || ok && id.Raw() != c.want {
				t.Errorf("%.60q cut at %d: id %v %v, want %v", c.in, cut, id.Raw(), ok, c.want)
			}
			if f.IsRequest() != c.request {
				t.Errorf("%.60q: IsRequest %v", c.in, f.IsRequest())
			}
		}
	}
}

func TestIDFinderReset(t *testing.T) {
	var f IDFinder
	_, _ = f.Write([]byte(`{"method":"m","id":1}`))
	f.Reset()
	_, _ = f.Write([]byte(`{"result":{}}`))
	if _, ok := f.ID(); ok || f.IsRequest() {
		t.Fatal("Reset kept the previous message's findings")
	}
}

// FuzzIDFinder: on a valid object the finder agrees with Field, however the bytes are cut;
// on anything else it does not panic and does not depend on the cut.
func FuzzIDFinder(f *testing.F) {
	f.Add([]byte(`{"result":{"a":"}"},"jsonrpc":"2.0","id":12}`), uint16(5))
	f.Add([]byte(`{"id":"s\\\"","method":"tools/call"}`), uint16(9))
	f.Add([]byte(`{"id":3 oops`), uint16(2))
	f.Fuzz(func(t *testing.T, b []byte, cut uint16) {
		k := int(cut) % (len(b) + 1)
		whole, wid, wok := findID(string(b))
		split, sid, sok := findID(string(b[:k]), string(b[k:]))
		if wok != sok || wid != sid || whole.IsRequest() != split.IsRequest() {
			t.Fatalf("cut at %d changes the result: %v %v / %v %v", k, wid.Raw(), wok, sid.Raw(), sok)
		}
		if !json.Valid(b) {
			return
		}
		raw, found := Field(b, "id")
		if found && len(raw) <= maxIDLen-2 {
			want, err := parseID(raw)
			if wantOK := err == nil && want.IsValid(); wantOK != wok || wok && want != wid {
				t.Fatalf("id %v %v, Field says %s", wid.Raw(), wok, raw)
			}
		} else if !found && wok {
			t.Fatalf("found id %v where Field finds none", wid.Raw())
		}
		if _, m := Field(b, "method"); m != whole.IsRequest() {
			t.Fatalf("IsRequest %v, Field finds method: %v", whole.IsRequest(), m)
		}
	})
}
