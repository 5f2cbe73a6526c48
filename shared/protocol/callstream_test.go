package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

func mustID(t testing.TB, v any) jsonrpc.ID {
	id, err := jsonrpc.MakeID(v)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Message frames are pinned byte for byte: header, then the message as mcp encodes it.
func TestMessageFramePinned(t *testing.T) {
	frame := func(t Type, body string) string {
		return string([]byte{byte(t), 0, 0, byte(len(body) >> 8), byte(len(body))}) + body
	}
	cases := []struct {
		t    Type
		msg  jsonrpc.Message
		want string
	}{
		{TypeRequest, &jsonrpc.Request{ID: mustID(t, float64(7)), Method: "roots/list"},
			frame(0x12, `{"jsonrpc":"2.0","id":7,"method":"roots/list"}`)},
		{TypeNotify, &jsonrpc.Request{Method: "notifications/progress", Params: json.RawMessage(`{"progress":1}`)},
			frame(0x11, `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}`)},
		{TypeResult, &jsonrpc.Response{ID: mustID(t, "a"), Result: json.RawMessage(`{}`)},
			frame(0x14, `{"jsonrpc":"2.0","id":"a","result":{}}`)},
		{TypeResponse, ErrorResponse(mustID(t, float64(1)), -32601, "no"),
			frame(0x13, `{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}`)},
		{TypeResult, nil, frame(TypeResult, "")},
		{TypeResult, (*jsonrpc.Response)(nil), frame(TypeResult, "")},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if err := NewFrameWriter(&buf).WriteMessage(c.t, c.msg); err != nil {
			t.Fatal(err)
		}
		if buf.String() != c.want {
			t.Errorf("%s %T:\n got %q\nwant %q", c.t, c.msg, buf.String(), c.want)
		}
		// The same bytes as the frame of the separately encoded message.
		var old bytes.Buffer
		payload := []byte{}
		if c.msg != nil && !reflect.ValueOf(c.msg).IsNil() {
			payload, _ = mcp.EncodeMessage(c.msg)
		}
		_ = WriteFrame(&old, c.t, payload)
		if !bytes.Equal(old.Bytes(), buf.Bytes()) {
			t.Errorf("%s: WriteMessage %q, WriteFrame(EncodeMessage) %q", c.t, buf.Bytes(), old.Bytes())
		}
	}
}

// Concurrent writers never interleave: every frame reads back whole.
func TestFrameWriterSerialises(t *testing.T) {
	var buf bytes.Buffer
	w := NewFrameWriter(&buf)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				req := &jsonrpc.Request{Method: "notifications/message",
					Params: json.RawMessage(fmt.Sprintf(`{"g":%d,"i":%d,"pad":%q}`, g, i, bytes.Repeat([]byte("x"), 100*g)))}
				if err := w.WriteMessage(TypeNotify, req); err != nil {
					t.Error(err)
				}
				if err := w.WriteJSON(TypeCancel, Cancel{Reason: "r"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for n := 0; n < 8*50*2; n++ {
		typ, p, err := ReadFrame(&buf)
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		switch typ {
		case TypeNotify:
			if _, err := DecodeRequest(typ, p); err != nil {
				t.Fatalf("frame %d: %v", n, err)
			}
		case TypeCancel:
			var c Cancel
			if err := Decode(typ, p, &c); err != nil || c.Reason != "r" {
				t.Fatalf("frame %d: %+v %v", n, c, err)
			}
		default:
			t.Fatalf("frame %d: type %s", n, typ)
		}
	}
}

func TestDecodeCallFrames(t *testing.T) {
	if resp, err := DecodeResponse(TypeResult, nil); resp != nil || err != nil {
		t.Errorf("empty result = %v, %v; want nil, nil (a notification's)", resp, err)
	}
	if _, err := DecodeResponse(TypeResponse, nil); err == nil {
		t.Error("empty Response frame accepted")
	}
	req := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call"}`)
	resp := []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`)
	if _, err := DecodeResponse(TypeResult, req); !errors.Is(err, ErrWrongMessage) {
		t.Errorf("request as result: %v, want ErrWrongMessage", err)
	}
	if _, err := DecodeRequest(TypeRequest, resp); !errors.Is(err, ErrWrongMessage) {
		t.Errorf("response as request: %v, want ErrWrongMessage", err)
	}
	c := Call{Backend: "fs", Message: req}
	if r, err := c.Request(); err != nil || r.Method != "tools/call" {
		t.Errorf("Call.Request() = %v, %v", r, err)
	}
	if we := WireError(errors.New("boom")); we.Code != jsonrpc.CodeInternalError || we.Message != "boom" {
		t.Errorf("WireError(plain) = %+v", we)
	}
	coded := &jsonrpc.Error{Code: -32042, Message: "x"}
	if we := WireError(fmt.Errorf("wrapped: %w", coded)); we != coded {
		t.Errorf("WireError(coded) = %+v, want the same error", we)
	}
}

// FuzzCallFrames decodes any payload as each call frame would, and holds what decodes to a
// round trip through WriteMessage.
func FuzzCallFrames(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`,
		`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}`,
		`{"jsonrpc":"2.0","id":"a","result":{"content":[]}}`,
		`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse"}}`,
		``, `{`, `[]`,
	} {
		f.Add(uint8(TypeRequest), []byte(s))
		f.Add(uint8(TypeResult), []byte(s))
	}
	f.Fuzz(func(t *testing.T, typ uint8, payload []byte) {
		tt := Type(typ)
		var msg jsonrpc.Message
		if req, err := DecodeRequest(tt, payload); err == nil {
			msg = req
		} else if resp, err := DecodeResponse(tt, payload); err == nil && resp != nil {
			msg = resp
		} else {
			var c Call
			if Decode(TypeCall, payload, &c) == nil {
				_, _ = c.Request()
			}
			return
		}
		var buf bytes.Buffer
		if err := NewFrameWriter(&buf).WriteMessage(tt, msg); err != nil {
			t.Fatalf("re-encode %q: %v", payload, err)
		}
		gotT, p, err := ReadFrame(&buf)
		if err != nil || gotT != tt {
			t.Fatalf("read back: %s %v", gotT, err)
		}
		again, err := mcp.ParseMessage(p)
		if err != nil {
			t.Fatalf("re-encoded %q does not parse: %v", p, err)
		}
		b1, _ := mcp.EncodeMessage(msg)
		b2, _ := mcp.EncodeMessage(again)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("round trip changed the message:\n%s\n%s", b1, b2)
		}
	})
}
