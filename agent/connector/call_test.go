package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// pipeStream is a call stream whose hub side the test writes to at its own pace.
type pipeStream struct {
	in    *io.PipeReader
	out   bytes.Buffer
	timer *time.Timer
}

func (s *pipeStream) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s *pipeStream) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s *pipeStream) Close() error                { return nil }

// SetReadDeadline ends reads with os.ErrDeadlineExceeded at t, for good: enough here.
func (s *pipeStream) SetReadDeadline(t time.Time) error {
	if s.timer != nil {
		s.timer.Stop()
	}
	if !t.IsZero() {
		s.timer = time.AfterFunc(time.Until(t), func() { s.in.CloseWithError(os.ErrDeadlineExceeded) })
	}
	return nil
}

// blockingBackends waits for the call's context and reports how it ended.
type blockingBackends struct{ ended chan error }

func (blockingBackends) Snapshots() []protocol.Backend { return nil }

func (b blockingBackends) Call(ctx context.Context, name string, _ *backend.Call) (*jsonrpc.Response, error) {
	if name == "gone" {
		return nil, fmt.Errorf("backend %q: %w", name, backend.ErrUnknownBackend)
	}
	<-ctx.Done()
	b.ended <- ctx.Err()
	return nil, ctx.Err()
}

func serveOne(t *testing.T, b backendSet, call string, after func(w io.Writer)) (*pipeStream, time.Duration) {
	t.Helper()
	r, w := io.Pipe()
	s := &pipeStream{in: r}
	c := &callServer{agentID: "laptop", backends: b, log: slog.New(slog.DiscardHandler),
		writeTimeout: time.Second, firstFrame: time.Second, linger: 50 * time.Millisecond}
	done := make(chan struct{})
	start := time.Now()
	go func() { defer close(done); c.serve(context.Background(), s, false) }()
	if err := protocol.WriteFrame(w, protocol.TypeCall, []byte(call)); err != nil {
		t.Fatal(err)
	}
	after(w)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("call stream not finished")
	}
	_ = w.Close()
	return s, time.Since(start)
}

func resultError(t *testing.T, s *pipeStream) *jsonrpc.Error {
	t.Helper()
	typ, payload, err := protocol.ReadFrame(&s.out)
	if err != nil || typ != protocol.TypeResult {
		t.Fatalf("want a result frame, got %s %v", typ, err)
	}
	msg, err := jsonrpc.DecodeMessage(payload)
	if err != nil {
		t.Fatal(err)
	}
	var we *jsonrpc.Error
	if resp, ok := msg.(*jsonrpc.Response); !ok || !errors.As(resp.Error, &we) {
		t.Fatalf("result is not an error response: %s", payload)
	}
	return we
}

// The agent enforces Call.Deadline itself, without waiting for the hub's Cancel.
func TestCallDeadlineIsEnforced(t *testing.T) {
	b := blockingBackends{ended: make(chan error, 1)}
	deadline := time.Now().Add(150 * time.Millisecond).UnixMilli()
	call := `{"backend":"b","message":{"jsonrpc":"2.0","id":1,"method":"tools/call"},"deadline":` + strconv.FormatInt(deadline, 10) + `}`
	s, took := serveOne(t, b, call, func(io.Writer) {})
	if err := <-b.ended; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("backend context ended with %v", err)
	}
	if took > 5*time.Second {
		t.Errorf("deadline enforced after %s", took)
	}
	if we := resultError(t, s); we.Code != CodeInternal || !strings.Contains(we.Message, "deadline exceeded") {
		t.Errorf("result error = %+v", we)
	}
}

// A Cancel frame cancels the backend call at once.
func TestCancelFrameCancelsCall(t *testing.T) {
	b := blockingBackends{ended: make(chan error, 1)}
	call := `{"backend":"b","message":{"jsonrpc":"2.0","id":1,"method":"tools/call"}}`
	serveOne(t, b, call, func(w io.Writer) {
		_ = protocol.WriteJSON(w, protocol.TypeCancel, protocol.Cancel{Reason: "client gone"})
	})
	if err := <-b.ended; !errors.Is(err, context.Canceled) {
		t.Errorf("backend context ended with %v", err)
	}
}

// Backend errors become a JSON-RPC error result naming agent and backend.
func TestBackendErrorNamesAgentAndBackend(t *testing.T) {
	call := `{"backend":"gone","message":{"jsonrpc":"2.0","id":"a","method":"tools/call"}}`
	s, _ := serveOne(t, blockingBackends{}, call, func(io.Writer) {})
	we := resultError(t, s)
	if we.Code != CodeUnavailable || !strings.Contains(we.Message, `agent "laptop": backend "gone": unknown backend`) {
		t.Errorf("result error = %+v", we)
	}
}

// recordingBackends answers at once and hands over the call the backend saw.
type recordingBackends struct{ got chan *backend.Call }

func (recordingBackends) Snapshots() []protocol.Backend { return nil }

func (b recordingBackends) Call(_ context.Context, _ string, c *backend.Call) (*jsonrpc.Response, error) {
	b.got <- c
	return &jsonrpc.Response{ID: c.Request.ID, Result: json.RawMessage(`{}`)}, nil
}

// The call frame's facts reach the backend as one backend.Call: the caller, its client
// session as the owner (so the backend never crosses clients), the client's capabilities
// and era, and the stream as the sink.
func TestCallFrameBecomesBackendCall(t *testing.T) {
	b := recordingBackends{got: make(chan *backend.Call, 1)}
	call := `{"backend":"b","message":{"jsonrpc":"2.0","id":1,"method":"tools/call"},` +
		`"caller":{"keyId":"k1","session":"s1","name":"ann"},"passInputRequired":true,` +
		`"clientCapabilities":{"sampling":{}}}`
	serveOne(t, b, call, func(io.Writer) {})
	c := <-b.got
	if c.Request.Method != "tools/call" || c.Caller.Name != "ann" || c.Owner != "k1/s1" ||
		!c.PassInputRequired || string(c.ClientCapabilities) != `{"sampling":{}}` || c.Sink == nil {
		t.Errorf("backend call = %+v", c)
	}

	call = `{"backend":"b","message":{"jsonrpc":"2.0","id":2,"method":"tools/call"}}`
	serveOne(t, b, call, func(io.Writer) {})
	c = <-b.got
	if c.Owner != "" || c.PassInputRequired || c.ClientCapabilities != nil {
		t.Errorf("a frame without facts gave %+v", c)
	}
}

// laneBackends answers "quick" at once, asks the client a question for "ask" (and answers
// with the client's reply), and blocks "slow" until its call is cancelled.
type laneBackends struct{ slowStarted chan struct{} }

func (laneBackends) Snapshots() []protocol.Backend { return nil }

func (b laneBackends) Call(ctx context.Context, name string, c *backend.Call) (*jsonrpc.Response, error) {
	switch name {
	case "ask":
		id, _ := jsonrpc.MakeID("q1")
		answer, err := c.Sink.Request(ctx, &jsonrpc.Request{ID: id, Method: "roots/list"})
		if err != nil {
			return nil, err
		}
		return &jsonrpc.Response{ID: c.Request.ID, Result: answer.Result}, nil
	case "slow":
		close(b.slowStarted)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &jsonrpc.Response{ID: c.Request.ID, Result: json.RawMessage(`{"quick":true}`)}, nil
}

// A lane serves calls one after another, quick ones and ones that need the stream read
// while they run (a server→client request's answer, a Cancel frame). Each call gets its own
// Result, in order.
func TestLaneCallsInlineAndSplit(t *testing.T) {
	agentEnd, hub := net.Pipe()
	b := laneBackends{slowStarted: make(chan struct{})}
	c := &callServer{agentID: "laptop", backends: b, log: slog.New(slog.DiscardHandler),
		writeTimeout: 5 * time.Second, firstFrame: 5 * time.Second, linger: time.Second}
	done := make(chan struct{})
	go func() { defer close(done); c.serve(context.Background(), agentEnd, true) }()
	_ = hub.SetDeadline(time.Now().Add(30 * time.Second))

	send := func(typ protocol.Type, payload string) {
		t.Helper()
		if err := protocol.WriteFrame(hub, typ, []byte(payload)); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want protocol.Type, contains string) {
		t.Helper()
		typ, payload, err := protocol.ReadFrame(hub)
		if err != nil || typ != want || !strings.Contains(string(payload), contains) {
			t.Fatalf("got %s %q (%v), want a %s frame with %q", typ, payload, err, want, contains)
		}
	}
	callFrame := func(backendName string, id int) string {
		return fmt.Sprintf(`{"backend":%q,"message":{"jsonrpc":"2.0","id":%d,"method":"tools/call"}}`, backendName, id)
	}

	send(protocol.TypeCall, callFrame("quick", 1))
	expect(protocol.TypeResult, `"id":1,"result":{"quick":true}`)

	send(protocol.TypeCall, callFrame("ask", 2))
	expect(protocol.TypeRequest, `"method":"roots/list"`)
	send(protocol.TypeResponse, `{"jsonrpc":"2.0","id":"q1","result":{"roots":[]}}`)
	expect(protocol.TypeResult, `"id":2,"result":{"roots":[]}`)

	send(protocol.TypeCall, callFrame("slow", 3))
	select {
	case <-b.slowStarted:
	case <-time.After(30 * time.Second):
		t.Fatal("slow call never reached the backend")
	}
	send(protocol.TypeCancel, `{"reason":"client gone"}`)
	expect(protocol.TypeResult, `"id":3,"error"`)

	send(protocol.TypeCall, callFrame("quick", 4))
	expect(protocol.TypeResult, `"id":4,"result":{"quick":true}`)

	_ = hub.Close()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("lane not ended after the hub closed it")
	}
}
