package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// FuzzAppendCall: what AppendCall writes decodes, with json.Unmarshal and with the agent's
// Decode, to what json.Marshal's output decodes to, and byte for byte equal to json.Marshal's
// when the raw members are already compact and free of <, > and &.
func FuzzAppendCall(f *testing.F) {
	f.Add("fs", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read","arguments":{"path":"/tmp/a"}}}`,
		"usr_1", "ann", "admin", "key_1", "ci", "sess", int64(1765000000000), true, `{"sampling":{}}`, "warning")
	f.Add("", `{}`, "", "", "", "", "", "", int64(0), false, ``, "")
	f.Add("b\"\\\u2028<x>", `{ "a" : "<&>" }`, "\xff", "ünï", "", "", "", "", int64(-1), false, `{"x": [1, 2]}`, "n\"o<ne>")
	f.Add("b", `{}`, "", "", "", "", "", "", int64(0), false, `{bad`, "none")
	f.Fuzz(func(t *testing.T, backend, message, uid, name, role, kid, app, sess string, deadline int64, pass bool, caps, level string) {
		if !mcp.Valid([]byte(message)) {
			message = `{"jsonrpc":"2.0","method":"x"}`
		}
		c := &Call{Backend: backend, Message: json.RawMessage(message),
			Caller:   Caller{UserID: uid, Name: name, Role: role, KeyID: kid, Application: app, Session: sess},
			Deadline: deadline, PassInputRequired: pass, LogLevel: level}
		if caps != "" {
			c.ClientCapabilities = json.RawMessage(caps)
		}
		got, err := AppendCall(nil, c)
		want, werr := json.Marshal(c)
		if (err == nil) != (werr == nil) {
			t.Fatalf("AppendCall error %v, json.Marshal error %v", err, werr)
		}
		if err != nil {
			return
		}
		var a, b Call
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		var d Call
		if err := Decode(TypeCall, got, &d); err != nil || !reflect.DeepEqual(a, d) {
			t.Fatalf("Decode of %s = %#v, %v; json.Unmarshal %#v", got, d, err, a)
		}
		if !sameJSON(t, a.Message, b.Message) || !sameJSON(t, a.ClientCapabilities, b.ClientCapabilities) {
			t.Fatalf("raw members differ:\n%s\n%s", got, want)
		}
		a.Message, b.Message, a.ClientCapabilities, b.ClientCapabilities = nil, nil, nil, nil
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("AppendCall %s\njson.Marshal %s", got, want)
		}
		noHTML := !bytes.ContainsAny([]byte(backend+uid+name+role+kid+app+sess+level), "<>&")
		if noHTML && canonical(message) && (caps == "" || canonical(caps)) && !bytes.Equal(got, want) {
			t.Fatalf("AppendCall %s\njson.Marshal %s", got, want)
		}
	})
}

func sameJSON(t *testing.T, x, y json.RawMessage) bool {
	if len(x) == 0 || len(y) == 0 {
		return len(x) == len(y)
	}
	var a, b any
	if json.Unmarshal(x, &a) != nil || json.Unmarshal(y, &b) != nil {
		t.Fatalf("raw members do not decode: %s / %s", x, y)
	}
	return reflect.DeepEqual(a, b)
}

// canonical: json.Marshal copies s unchanged (compact, no <, > or &).
func canonical(s string) bool {
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(s)) != nil {
		return false
	}
	return buf.String() == s && !bytes.ContainsAny(buf.Bytes(), "<>&\u2028\u2029")
}

// The frame WriteCall writes is the header and AppendCall's JSON.
func TestWriteCall(t *testing.T) {
	c := benchCall()
	var buf bytes.Buffer
	if err := NewFrameWriter(&buf).WriteCall(&c); err != nil {
		t.Fatal(err)
	}
	typ, payload, err := ReadFrame(&buf)
	want, _ := AppendCall(nil, &c)
	if err != nil || typ != TypeCall || !bytes.Equal(payload, want) {
		t.Fatalf("frame %s %q %v", typ, payload, err)
	}
	c.ClientCapabilities = json.RawMessage(`{`)
	if err := NewFrameWriter(&buf).WriteCall(&c); err == nil {
		t.Fatal("invalid clientCapabilities encoded")
	}
}

// BenchmarkEncodeCall is what the hub pays to encode a typical Call frame: AppendCall against
// json.Marshal (what it did before).
func BenchmarkEncodeCall(b *testing.B) {
	c := benchCall()
	b.Run("AppendCall", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			var err error
			if buf, err = AppendCall(buf[:0], &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCallFrameSizeFits: a typical Call frame, every member set, is encoded into the buffer
// WriteCall makes for it without growing it.
func TestCallFrameSizeFits(t *testing.T) {
	c := benchCall()
	c.Caller = Caller{UserID: "usr_0123456789abcdef", Name: "alice@example.com", Role: "operator",
		KeyID: "key_0123456789abcdef", Application: "cursor", Session: "9f86d081884c7d659a2feaa0c55ad015"}
	c.PassInputRequired, c.ClientCapabilities, c.LogLevel = true, json.RawMessage(`{"sampling":{},"roots":{}}`), "warning"
	c.Deadline = 1765000000000
	buf := make([]byte, 0, callFrameSize(&c))
	out, err := AppendCall(buf, &c)
	if err != nil {
		t.Fatal(err)
	}
	if cap(out) != cap(buf) {
		t.Errorf("AppendCall wrote %d bytes, over the %d callFrameSize allowed", len(out), cap(buf))
	}
}
