package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// fakeStream feeds the hub's side from a byte slice and collects what the agent writes.
type fakeStream struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (s *fakeStream) Read(p []byte) (int, error)       { return s.in.Read(p) }
func (s *fakeStream) Write(p []byte) (int, error)      { return s.out.Write(p) }
func (s *fakeStream) Close() error                     { return nil }
func (s *fakeStream) SetReadDeadline(time.Time) error  { return nil }
func (s *fakeStream) SetWriteDeadline(time.Time) error { return nil }

// scriptBackends acts by method: "notify" sends a notification, "ask" a server→client
// request, "fail" fails; anything else answers at once.
type scriptBackends struct{}

func (scriptBackends) Snapshots() []protocol.Backend { return nil }

func (scriptBackends) Call(ctx context.Context, _ string, c *backend.Call) (*jsonrpc.Response, error) {
	req, sink := c.Request, c.Sink
	switch req.Method {
	case "notify":
		sink.Notify(&jsonrpc.Request{Method: "notifications/progress", Params: json.RawMessage(`{"progress":1}`)})
	case "ask":
		id, _ := jsonrpc.MakeID(float64(7))
		if _, err := sink.Request(ctx, &jsonrpc.Request{ID: id, Method: "roots/list"}); err != nil {
			return nil, err
		}
	case "fail":
		return nil, backend.ErrNotReady
	}
	if !req.IsCall() {
		return nil, nil
	}
	return &jsonrpc.Response{ID: req.ID, Result: json.RawMessage(`{}`)}, nil
}

func frames(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func frame(t protocol.Type, payload string) []byte {
	var b bytes.Buffer
	_ = protocol.WriteFrame(&b, t, []byte(payload))
	return b.Bytes()
}

func callFrame(method string) []byte {
	return frame(protocol.TypeCall, `{"backend":"b","message":{"jsonrpc":"2.0","id":1,"method":"`+method+`"}}`)
}

// fuzzSeeds are also committed under testdata/fuzz/FuzzCallStream.
func fuzzSeeds() [][]byte {
	return [][]byte{
		callFrame("echo"),
		frames(callFrame("notify"), frame(protocol.TypeCancel, `{"reason":"gone"}`)),
		frames(callFrame("ask"), frame(protocol.TypeResponse, `{"jsonrpc":"2.0","id":7,"result":{"roots":[]}}`)),
		frames(callFrame("ask"), frame(protocol.TypeResponse, `{"jsonrpc":"2.0","id":"7","result":{}}`)),
		frames(callFrame("ask"), frame(protocol.TypeCancel, `{}`)),
		frames(callFrame("fail"), frame(protocol.TypeResult, `{}`)),
		frame(protocol.TypeCall, `{"backend":"b","message":{"jsonrpc":"2.0","method":"note"},"deadline":1}`),
		frame(protocol.TypeCall, `{"backend":"b","message":{"jsonrpc":"2.0","id":1,"result":{}}}`),
		frame(protocol.TypeCall, `{"backend":"b","message":"not json-rpc"}`),
		frame(protocol.TypeHello, `{}`),
		{byte(protocol.TypeCall), 0, 0, 0, 9, '{'},
	}
}

// FuzzCallStream feeds arbitrary hub frame sequences to a call stream: the agent must not
// panic or hang, and whatever it writes back must be well-formed frames ending in a Result.
func FuzzCallStream(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	c := &callServer{
		agentID: "fuzz", backends: scriptBackends{}, log: slog.New(slog.DiscardHandler),
		writeTimeout: time.Second, firstFrame: time.Second, linger: time.Second,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &fakeStream{in: bytes.NewReader(data)}
		c.serve(context.Background(), s, false)
		var last protocol.Type
		for {
			typ, _, err := protocol.ReadFrame(&s.out)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("agent wrote a broken frame: %v", err)
			}
			if last == protocol.TypeResult {
				t.Fatalf("agent wrote %s after the result", typ)
			}
			last = typ
		}
	})
}

// toolName agrees with encoding/json on every valid params object.
func FuzzToolName(f *testing.F) {
	for _, s := range []string{
		`{"name":"read_file","arguments":{"path":"/x"}}`,
		`{"arguments":{"name":"inner"},"name":"outer"}`,
		` { "_meta" : {"a":[1,{"name":"x"}]} , "name" : "t\u00e9\"q" } `,
		`{"name":1}`, `{"n\u0061me":"esc"}`, `{"name":"a","name":"b"}`, `["name","x"]`, `{"NAME":"x"}`,
		`{"name":"` + "\xff" + `"}`, `{"x":"\\","name":"y"}`, `{`, `{"name":`, `{"name":"unterminated`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got := toolName(in) // never panics, whatever the input
		var m map[string]json.RawMessage
		if json.Unmarshal(in, &m) != nil {
			return
		}
		want := ""
		if raw, ok := m["name"]; ok {
			_ = json.Unmarshal(raw, &want)
		}
		if got != want {
			t.Fatalf("toolName(%q) = %q, encoding/json says %q", in, got, want)
		}
	})
}
