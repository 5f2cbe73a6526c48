package mcp

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

func call(args string) []byte {
	return []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"fs__read","arguments":` + args + `}}`)
}

// Regression (issue 10 items 9, 10): the gateway checked a duplicated key on its last value
// and forwarded both, so a backend that takes the first one saw a value the policy never
// did; invalid UTF-8 was forwarded to backends that drop the line. ParseClientMessage
// refuses both, naming the place, and still returns the request for its id.
func TestParseClientMessageRefuses(t *testing.T) {
	many := func(dupAt int) string {
		var sb strings.Builder
		sb.WriteString("{")
		for i := range 40 {
			k := i
			if i == dupAt {
				k = 3
			}
			fmt.Fprintf(&sb, `"k%d":%d,`, k, i)
		}
		return sb.String() + `"end":0}`
	}
	for _, tc := range []struct {
		name, msg, want string
	}{
		{"duplicate argument", string(call(`{"message":"/etc/shadow","message":"ok"}`)), `duplicate key "message" at params.arguments`},
		{"duplicate through an escape", string(call(`{"message":"/etc/shadow","mess\u0061ge":"ok"}`)), `duplicate key "message" at params.arguments`},
		{"escaped both ways", string(call(`{"\u0070ath":"/etc/shadow","p\u0061th":"ok"}`)), `duplicate key "path" at params.arguments`},
		{"duplicate deep in an array", string(call(`{"items":[{"a":1},{"b":1,"c":{"d":1,"d":2}}]}`)), `duplicate key "d" at params.arguments.items[1].c`},
		{"duplicate among many keys", string(call(many(30))), `duplicate key "k3" at params.arguments`},
		{"duplicate params", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"a"},"params":{"name":"b"}}`, `duplicate key "params" at the top level`},
		{"duplicate name", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"a","name":"b"}}`, `duplicate key "name" at params`},
		{"duplicate in _meta", `{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"x":1,"x":1}}}`, `duplicate key "x" at params._meta`},
		{"invalid UTF-8", string(call(`{"message":"caf` + "\xe9" + `"}`)), `invalid UTF-8 at params.arguments.message`},
		{"invalid UTF-8 in a key", string(call(`{"k` + "\xff" + `":1}`)), `invalid UTF-8 in a key at params.arguments`},
		{"overlong slash", string(call(`{"path":"/etc` + "\xc0\xaf" + `shadow"}`)), `invalid UTF-8 at params.arguments.path`},
		{"UTF-8 encoded surrogate", string(call(`{"path":"` + "\xed\xa0\x80" + `"}`)), `invalid UTF-8 at params.arguments.path`},
		{"truncated sequence", string(call(`["` + "\xe2\x82" + `"]`)), `invalid UTF-8 at params.arguments[0]`},
		{"lone high surrogate", string(call(`{"s":"\ud800"}`)), `lone UTF-16 surrogate \ud800 at params.arguments.s`},
		{"lone low surrogate", string(call(`{"s":"x\uDC00y"}`)), `lone UTF-16 surrogate \uDC00 at params.arguments.s`},
		{"high then not low", string(call(`{"s":"\ud800\u0041"}`)), `lone UTF-16 surrogate \ud800 at params.arguments.s`},
		{"two highs", string(call(`{"s":"\ud800\ud800"}`)), `lone UTF-16 surrogate \ud800 at params.arguments.s`},
		{"surrogate in a key", string(call(`{"\udfff":1}`)), `lone UTF-16 surrogate \udfff in a key at params.arguments`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := ParseClientMessage([]byte(tc.msg))
			if err == nil {
				t.Fatalf("accepted %s", tc.msg)
			}
			if got := err.Error(); got != "invalid params: "+tc.want {
				t.Errorf("error %q, want %q", got, "invalid params: "+tc.want)
			}
			if ErrorCode(err) != CodeInvalidParams || !errors.Is(err, ErrInvalidInput) {
				t.Errorf("code %d, want %d", ErrorCode(err), CodeInvalidParams)
			}
			req, ok := msg.(*jsonrpc.Request)
			if !ok || req.ID.Raw() != int64(7) {
				t.Errorf("message %#v: want the request with id 7", msg)
			}
			if _, err := ParseMessage([]byte(tc.msg)); err != nil {
				t.Errorf("ParseMessage refuses it too (%v): it should stay lenient", err)
			}
		})
	}
}

func TestParseClientMessageAccepts(t *testing.T) {
	for _, m := range []string{
		string(call(`{"a":{"a":1},"b":{"a":2},"c":[{"a":1},{"a":1}]}`)), // same key in different objects
		string(call(`{"message":"ok","Message":"case differs"}`)),
		string(call(`{"s":"\ud83d\ude00 caf` + "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" + `"}`)), // a surrogate pair, UTF-8
		string(call(`{"s":"\\ud800 is text, not an escape","t":"\u0000\u00e9"}`)),
		`{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`,
	} {
		msg, err := ParseClientMessage([]byte(m))
		if err != nil {
			t.Errorf("%s: %v", m, err)
			continue
		}
		want, _ := ParseMessage([]byte(m))
		a, _ := EncodeMessage(msg)
		b, _ := EncodeMessage(want)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: parsed as %s, ParseMessage gives %s", m, a, b)
		}
	}
	var sb strings.Builder
	sb.WriteString("{")
	for i := range 1000 {
		fmt.Fprintf(&sb, `"k%d":{"k%d":[%d]},`, i, i, i)
	}
	big := call(sb.String() + `"last":1}`)
	if _, err := ParseClientMessage(big); err != nil {
		t.Errorf("1000 distinct keys: %v", err)
	}
}

// Malformed JSON and invalid JSON-RPC keep their codes (-32700, -32600), even with a
// duplicate key before the fault.
func TestParseClientMessageKeepsOtherErrors(t *testing.T) {
	for m, code := range map[string]int64{
		`{"a":1,"a":2`:                         CodeParseError,
		`{"a":1,"a":2,}`:                       CodeParseError,
		`{"jsonrpc":"2.0","id":1,"a":1,"a":2}`: CodeInvalidRequest,
		"{\"jsonrpc\":\"1.0\",\"method\":\"x\",\"x\":\"\xff\"}": CodeInvalidRequest,
		"[1,2]": CodeInvalidRequest,
	} {
		if _, err := ParseClientMessage([]byte(m)); ErrorCode(err) != code {
			t.Errorf("%s: %v (code %d), want code %d", m, err, ErrorCode(err), code)
		}
	}
}

func TestParseClientMessageAllocations(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseClientMessage(benchCall) }); n > 3 {
		t.Errorf("ParseClientMessage allocates %v times, want ≤ 3 (as ParseMessage)", n)
	}
}

// refDuplicate reports whether the JSON b has an object with two equal keys (decoded),
// reading it with encoding/json's tokenizer.
func refDuplicate(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		obj    bool
		keys   map[string]bool
		expKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top != nil && top.obj {
					top.expKey = true
				}
				stack = append(stack, &frame{obj: d == '{', keys: map[string]bool{}, expKey: true})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top != nil && top.obj {
			if top.expKey {
				k := tok.(string)
				if top.keys[k] {
					return true
				}
				top.keys[k] = true
				top.expKey = false
			} else {
				top.expKey = true
			}
		}
	}
}

// FuzzParseClientMessage: the strict parse refuses exactly what it should, agrees with
// ParseMessage otherwise, and never refuses valid JSON-RPC for another reason.
// Seeds: testdata/fuzz/FuzzParseClientMessage.
func FuzzParseClientMessage(f *testing.F) {
	f.Add(call(`{"message":"/etc/shadow","message":"ok"}`))
	f.Add(call(`{"a":{"a":1},"b":[{"a":1},{"a":1}]}`))
	f.Add(call(`{"s":"\ud83d\ude00","t":"\ud800"}`))
	f.Add(call(`{"s":"caf` + "\xe9" + `"}`))
	f.Add(call(`{"mess\u0061ge":1,"message":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, err := ParseClientMessage(b)
		lax, laxErr := ParseMessage(b)
		switch {
		case laxErr != nil:
			if err == nil || ErrorCode(err) != ErrorCode(laxErr) {
				t.Fatalf("ParseMessage: %v; ParseClientMessage: %v", laxErr, err)
			}
			return
		case err == nil:
			if !utf8.Valid(b) || refDuplicate(b) {
				t.Fatalf("accepted %q: invalid UTF-8 or a duplicate key", b)
			}
		default:
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("refused %q with %v, which ParseMessage accepts", b, err)
			}
			if utf8.Valid(b) && !refDuplicate(b) && !bytes.Contains(b, []byte(`\u`)) {
				t.Fatalf("refused %q (%v) without a reason", b, err)
			}
		}
		x, _ := EncodeMessage(msg)
		y, _ := EncodeMessage(lax)
		if !bytes.Equal(x, y) {
			t.Fatalf("%q: strict %s, lax %s", b, x, y)
		}
		owned, ownedErr := ParseClientMessageOwned(bytes.Clone(b))
		if fmt.Sprint(ownedErr) != fmt.Sprint(err) {
			t.Fatalf("%q: ParseClientMessage: %v; ParseClientMessageOwned: %v", b, err, ownedErr)
		}
		if z, _ := EncodeMessage(owned); !bytes.Equal(x, z) {
			t.Fatalf("%q: ParseClientMessage %s, ParseClientMessageOwned %s", b, x, z)
		}
	})
}

// TestParseClientMessageOwned: the params and result of an owned message are slices of it,
// which an append does not write through; ParseClientMessage's are copies.
func TestParseClientMessageOwned(t *testing.T) {
	for _, b := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":1}},"x":0}`,
		`{"jsonrpc":"2.0","id":1,"result":{"content":[]},"x":0}`,
	} {
		raw := func(m jsonrpc.Message) []byte {
			if req, ok := m.(*jsonrpc.Request); ok {
				return req.Params
			}
			return m.(*jsonrpc.Response).Result
		}
		buf := []byte(b)
		m, err := ParseClientMessageOwned(buf)
		if err != nil {
			t.Fatal(err)
		}
		p := raw(m)
		if i := bytes.Index(buf, p); i < 0 || &buf[i] != &p[0] {
			t.Fatalf("%s: params or result %s are not a slice of the message", b, p)
		}
		_ = append(p, '!')
		if string(buf) != b {
			t.Fatalf("an append to the params or result wrote into the message: %s", buf)
		}
		m, err = ParseClientMessage(buf)
		if err != nil {
			t.Fatal(err)
		}
		if p := raw(m); bytes.Index(buf, p) >= 0 && &buf[bytes.Index(buf, p)] == &p[0] {
			t.Fatalf("%s: ParseClientMessage's params or result are not a copy", b)
		}
	}
}

// plain8 agrees with the byte tables for every byte value at every position, beside
// plain bytes and beside each other kind of byte (a borrow must not hide one).
func TestPlain8(t *testing.T) {
	for _, fill := range []byte{'a', ' ', '~', 0x7f, 0x21, 0x80, 0x00, '"'} {
		for pos := range 8 {
			for c := range 256 {
				w := bytes.Repeat([]byte{fill}, 8)
				w[pos] = byte(c)
				for _, strict := range []bool{false, true} {
					stop, high := &stopLax, uint64(0)
					if strict {
						stop, high = &stopStrict, hiBits
					}
					want := true
					for _, x := range w {
						want = want && !stop[x]
					}
					if got := plain8(binary.LittleEndian.Uint64(w), high); got != want {
						t.Fatalf("plain8(%q, strict %v) = %v, want %v", w, strict, got, want)
					}
				}
			}
		}
	}
}
