package connector

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// answeringBackends answers every request at once; backend "broken" answers with an error.
type answeringBackends struct{}

func (answeringBackends) Snapshots() []protocol.Backend { return nil }

func (answeringBackends) Call(_ context.Context, name string, c *backend.Call) (*jsonrpc.Response, error) {
	req := c.Request
	if name == "broken" {
		return &jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{Code: -32601, Message: "no such tool"}}, nil
	}
	return &jsonrpc.Response{ID: req.ID, Result: json.RawMessage(`{"content":[]}`)}, nil
}

// hubCall opens a call stream as the hub does and returns the Result frame's payload.
func hubCall(tb testing.TB, sess *tunnel.Session, call string) []byte {
	st, err := sess.OpenStream()
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	return hubCallOn(tb, st, call)
}

// hubCallOn sends a Call frame on st and returns the Result frame's payload.
func hubCallOn(tb testing.TB, st tunnel.Stream, call string) []byte {
	if err := protocol.WriteFrame(st, protocol.TypeCall, []byte(call)); err != nil {
		tb.Fatal(err)
	}
	_ = st.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		t, payload, err := protocol.ReadFrame(st)
		if err != nil {
			tb.Fatal(err)
		}
		if t == protocol.TypeResult {
			return payload
		}
	}
}

// waitStatus waits for the tracker to satisfy ok.
func waitStatus(t *testing.T, tr *status.Tracker, what string, ok func(status.Snapshot) bool) status.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tr.WaitFor(ctx, ok); err != nil {
		t.Fatalf("status never became %s: %+v", what, tr.Snapshot())
	}
	return tr.Snapshot()
}

func welcomed(t *testing.T, c hubConn) {
	t.Helper()
	readJSON(t, c.ctrl, protocol.TypeHello, &protocol.Hello{})
	if err := protocol.WriteJSON(c.ctrl, protocol.TypeWelcome, protocol.Welcome{AgentID: "laptop", HubVersion: "hub-9"}); err != nil {
		t.Fatal(err)
	}
}

// The tracker follows the connection (connected, lost, refused with the hub's reason) and
// records each call with caller, tool, status and duration; Reconnect cuts the slow wait
// after a refusal short, and re-dials a live connection at once.
func TestStatusFollowsConnectionAndCalls(t *testing.T) {
	tr := status.New(status.Options{})
	h := startFakeHub(t, nil)
	opts := Options{Backoff: Backoff{Base: 10 * time.Millisecond, Max: 20 * time.Millisecond}, RefusedRetry: time.Hour, Status: tr}
	a, _ := startTestAgent(t, h.url(), opts)
	a.calls.backends = answeringBackends{}

	c := h.next(t)
	welcomed(t, c)
	waitStatus(t, tr, "connected", func(s status.Snapshot) bool { return s.State == status.StateConnected && s.HubVersion == "hub-9" })
	hubCall(t, c.sess, `{"backend":"fs","caller":{"name":"alice","application":"cursor"},"message":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/x"}}}}`)
	hubCall(t, c.sess, `{"backend":"broken","caller":{"keyId":"k1"},"message":{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"p"}}}`)
	s := waitStatus(t, tr, "two calls", func(s status.Snapshot) bool { return s.CallsTotal == 2 })
	first, second := s.Calls[1], s.Calls[0]
	if first.Caller != "alice" || first.Application != "cursor" || first.Backend != "fs" || first.Tool != "read_file" || first.Status != status.CallOK || first.Time.IsZero() {
		t.Errorf("first call = %+v", first)
	}
	if second.Caller != "k1" || second.Tool != "prompts/get" || second.Status != status.CallError || !strings.Contains(second.Error, "no such tool") {
		t.Errorf("second call = %+v", second)
	}

	_ = c.sess.Close()
	waitStatus(t, tr, "reconnecting", func(s status.Snapshot) bool { return s.State == status.StateReconnecting && s.LastError != "" })

	c = h.next(t)
	readJSON(t, c.ctrl, protocol.TypeHello, &protocol.Hello{})
	_ = protocol.WriteJSON(c.ctrl, protocol.TypeRefusal, protocol.Refusal{Code: protocol.RefuseRevoked, Message: "key revoked"})
	s = waitStatus(t, tr, "refused", func(s status.Snapshot) bool { return s.State == status.StateRefused })
	if s.Refusal != "revoked: key revoked" || s.RetryIn < 59*time.Minute {
		t.Errorf("refused: %q, retry in %s", s.Refusal, s.RetryIn)
	}

	a.Reconnect() // the hour-long wait ends now
	c = h.next(t)
	welcomed(t, c)
	waitStatus(t, tr, "connected again", func(s status.Snapshot) bool { return s.State == status.StateConnected })

	a.Reconnect() // a live connection is replaced at once
	select {
	case <-c.sess.CloseChan():
	case <-time.After(5 * time.Second):
		t.Fatal("Reconnect did not close the live connection")
	}
	welcomed(t, h.next(t))
	waitStatus(t, tr, "connected after the asked reconnect", func(s status.Snapshot) bool { return s.State == status.StateConnected })
}

// Without a tracker nothing is recorded and nothing breaks.
func TestNoStatusTracker(t *testing.T) {
	h := startFakeHub(t, nil)
	a, _ := startTestAgent(t, h.url(), Options{})
	a.calls.backends = answeringBackends{}
	c := h.next(t)
	welcomed(t, c)
	if got := hubCall(t, c.sess, `{"backend":"fs","message":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}}`); !strings.Contains(string(got), `"content"`) {
		t.Fatalf("result = %s", got)
	}
}

// BenchmarkCallThroughTunnel measures one call from the hub's side of a real tunnel through
// the connector and back, with and without the status tracker.
func BenchmarkCallThroughTunnel(b *testing.B) {
	for _, tracked := range []bool{false, true} {
		b.Run(fmt.Sprintf("tracker=%v", tracked), func(b *testing.B) {
			benchCalls(b, tracked)
		})
	}
}

func benchCalls(b *testing.B, tracked bool) {
	h := startFakeHub(b, nil)
	opts := Options{}
	if tracked {
		opts.Status = status.New(status.Options{})
	}
	a, _ := startTestAgent(b, h.url(), opts)
	a.calls.backends = answeringBackends{}
	a.calls.linger = 0
	c := h.next(b)
	readJSON(b, c.ctrl, protocol.TypeHello, &protocol.Hello{})
	_ = protocol.WriteJSON(c.ctrl, protocol.TypeWelcome, protocol.Welcome{})
	call := `{"backend":"fs","caller":{"name":"alice"},"message":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/tmp/x"}}}}`
	b.ReportAllocs()
	for b.Loop() {
		hubCall(b, c.sess, call)
	}
}
