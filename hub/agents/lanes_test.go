package agents_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// With an agent of capability 3 or later a call stream carries one call after another (as
// a direct stream from capability 4, the connector's own): sequential
// calls open one stream, also when a call asks the client something on the way; a cancelled
// call does not leave its stream for the next call; concurrent calls each get a lane of
// their own.
func TestLanesCarryCallsInTurn(t *testing.T) {
	h := startHub(t, "")
	startAgent(t, agentConfig(t, h.url(), "laptop", laptopKey))
	h.waitReady(t, "laptop")
	echo := func(t *testing.T, id int64) {
		t.Helper()
		msg := fmt.Sprintf("call %d", id)
		resp, err := h.reg.Call(context.Background(), "laptop", "everything",
			&backend.Call{Request: toolCall(t, id, "echo", map[string]any{"message": msg}, nil)})
		if err != nil || resp.Error != nil || !strings.Contains(string(resp.Result), "Echo: "+msg) {
			t.Fatalf("call %d: %v %+v", id, err, resp)
		}
		if got, _ := resp.ID.Raw().(int64); got != id {
			t.Fatalf("call %d answered with id %v", id, resp.ID.Raw())
		}
	}
	opened := func() int64 { n, _ := agents.CallStreamsOpened(h.reg, "laptop"); return n }

	for i := range 20 {
		echo(t, int64(i+1))
	}
	if n := opened(); n != 1 {
		t.Fatalf("20 calls in turn opened %d streams, want 1", n)
	}
	if !agents.CallStreamsDirect(h.reg, "laptop") {
		t.Fatal("the hub opens yamux streams to an agent of capability 4")
	}

	// A server→client request and its answer travel on the call's lane, which is kept.
	sink := newSink()
	sink.answer = func(*jsonrpc.Request) (*jsonrpc.Response, error) {
		return &jsonrpc.Response{Result: json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"ok"},"model":"m"}`)}, nil
	}
	resp, err := h.reg.Call(context.Background(), "laptop", "everything",
		&backend.Call{Request: toolCall(t, 30, "trigger-sampling-request", map[string]any{"prompt": "p"}, nil), Sink: sink})
	if err != nil || resp.Error != nil {
		t.Fatalf("sampling call: %v %+v", err, resp)
	}
	echo(t, 31)
	if n := opened(); n != 1 {
		t.Fatalf("after a call with a server→client request: %d streams opened, want 1", n)
	}

	// A cancelled call: its lane is closed, and the next call opens another.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = h.reg.Call(ctx, "laptop", "everything",
		&backend.Call{Request: toolCall(t, 40, "trigger-long-running-operation", map[string]any{"duration": 20, "steps": 2}, nil)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	echo(t, 41)
	if n := opened(); n != 2 {
		t.Fatalf("after a cancelled call: %d streams opened, want 2", n)
	}

	// Concurrent callers: every call answered with its own id, at most one stream each.
	const clients, each = 8, 25
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				echo(t, int64(1000*(c+1)+i))
			}
		})
	}
	wg.Wait()
	n, idle := agents.CallStreamsOpened(h.reg, "laptop")
	if n > 2+clients || idle < 1 || idle > clients {
		t.Errorf("after %d concurrent clients: %d streams opened, %d idle", clients, n, idle)
	}
}

// An agent older than lanes (capability 2) half-closes each call stream after its Result:
// the hub opens a stream per call and every call is answered.
func TestOlderAgentGetsAStreamPerCall(t *testing.T) {
	h := startHub(t, "")
	old := hello("laptop")
	old.Capability = protocol.CapabilityLanes - 1
	a, _, _ := dialRaw(t, h.url(), laptopKey, old)
	h.waitChange(t, "laptop", func(c change) bool { return c.connected })
	go func() {
		for {
			st, err := a.acceptCall()
			if err != nil {
				return
			}
			go func() {
				defer st.Close()
				answerCall(st, protocol.NewFrameWriter(st))
			}()
		}
	}()
	for i := range 3 {
		resp, err := h.reg.Call(context.Background(), "laptop", "fs", &backend.Call{Request: toolCall(t, int64(i), "x", nil, nil)})
		if err != nil || resp.Error != nil {
			t.Fatalf("call %d: %v %+v", i, err, resp)
		}
	}
	if n, idle := agents.CallStreamsOpened(h.reg, "laptop"); n != 3 || idle != 0 {
		t.Errorf("3 calls to an older agent: %d streams opened, %d idle; want 3, 0", n, idle)
	}
}

// An agent of capability 3 (before direct streams) gets its lanes as yamux streams: a new
// hub sends it no direct message, and calls travel one after another on one stream.
func TestAgentOfCapability3GetsYamuxLanes(t *testing.T) {
	h := startHub(t, "")
	old := hello("laptop")
	old.Capability = protocol.CapabilityDirect - 1
	a, _, _ := dialRaw(t, h.url(), laptopKey, old)
	if a.sess.Direct().Enabled() {
		t.Fatal("a capability-3 agent dialled with direct streams on")
	}
	h.waitChange(t, "laptop", func(c change) bool { return c.connected })
	go func() {
		for {
			st, err := a.acceptCall()
			if err != nil {
				return
			}
			go func() {
				defer st.Close()
				w := protocol.NewFrameWriter(st)
				for answerCall(st, w) { // a lane: Call, Result, the next Call
				}
			}()
		}
	}()
	for i := range 5 {
		resp, err := h.reg.Call(context.Background(), "laptop", "fs", &backend.Call{Request: toolCall(t, int64(i), "x", nil, nil)})
		if err != nil || resp.Error != nil {
			t.Fatalf("call %d: %v %+v", i, err, resp)
		}
	}
	if agents.CallStreamsDirect(h.reg, "laptop") {
		t.Error("the hub opened direct streams to an agent of capability 3")
	}
	if n, _ := agents.CallStreamsOpened(h.reg, "laptop"); n != 1 {
		t.Errorf("5 calls in turn to a capability-3 agent opened %d yamux streams, want 1", n)
	}
}

// answerCall reads a Call frame from r and answers it with an empty Result on w, as a
// scripted agent; false when r ended or sent anything else.
func answerCall(r io.Reader, w *protocol.FrameWriter) bool {
	typ, payload, err := protocol.ReadFrame(r)
	if err != nil || typ != protocol.TypeCall {
		return false
	}
	var c protocol.Call
	if protocol.Decode(typ, payload, &c) != nil {
		return false
	}
	req, err := c.Request()
	if err != nil {
		return false
	}
	return w.WriteMessage(protocol.TypeResult, &jsonrpc.Response{ID: req.ID, Result: json.RawMessage(`{"content":[]}`)}) == nil
}
