package agents_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// One hub, one agent with the real everything server: hello/welcome, calls through the
// tunnel with progress, a server→client request, cancellation, and backend errors.
func TestEndToEnd(t *testing.T) {
	h := startHub(t, "")
	ta := startAgent(t, agentConfig(t, h.url(), "laptop", laptopKey))
	c := h.waitReady(t, "laptop")
	if c.backends[0].Name != "everything" || c.backends[0].Transport != "stdio" {
		t.Fatalf("backend = %+v", c.backends[0])
	}
	ta.log.waitFor(t, "connected to the hub", "hub_version=hub-test")
	list := h.reg.List()
	if len(list) != 1 || list[0].ID != "laptop" || list[0].Version != "agent-test" || list[0].Backends != 1 ||
		!strings.HasPrefix(list[0].RemoteAddr, "127.0.0.1:") || list[0].KeyID != "key_laptop" {
		t.Errorf("List = %+v", list)
	}
	caller := protocol.Caller{UserID: "usr_alice", Name: "alice"}

	t.Run("echo", func(t *testing.T) {
		resp, err := h.reg.Call(context.Background(), "laptop", "everything",
			&backend.Call{Request: toolCall(t, 41, "echo", map[string]any{"message": "through the tunnel"}, nil), Caller: caller})
		if err != nil || resp.Error != nil {
			t.Fatalf("call: %v %v", err, resp)
		}
		if id, _ := resp.ID.Raw().(int64); id != 41 {
			t.Errorf("response id = %v, want the caller's 41", resp.ID.Raw())
		}
		if !strings.Contains(string(resp.Result), "Echo: through the tunnel") {
			t.Errorf("result = %s", resp.Result)
		}
	})

	t.Run("progress", func(t *testing.T) {
		sink := newSink()
		resp, err := h.reg.Call(context.Background(), "laptop", "everything",
			&backend.Call{Request: toolCall(t, 2, "trigger-long-running-operation", map[string]any{"duration": 0.3, "steps": 3}, "tok-1"), Caller: caller, Sink: sink})
		if err != nil || resp.Error != nil {
			t.Fatalf("call: %v %v", err, resp)
		}
		close(sink.notes)
		var progress []string
		for n := range sink.notes {
			if n.Method == "notifications/progress" {
				progress = append(progress, string(n.Params))
			}
		}
		if len(progress) != 3 || !strings.Contains(progress[0], `"progressToken":"tok-1"`) {
			t.Errorf("progress notifications = %v, want 3 with the caller's token", progress)
		}
	})

	t.Run("server to client request", func(t *testing.T) {
		sink := newSink()
		sink.answer = func(req *jsonrpc.Request) (*jsonrpc.Response, error) {
			if req.Method != "sampling/createMessage" {
				return nil, errors.New("unexpected " + req.Method)
			}
			return &jsonrpc.Response{Result: json.RawMessage(
				`{"role":"assistant","content":{"type":"text","text":"forty-two"},"model":"test"}`)}, nil
		}
		resp, err := h.reg.Call(context.Background(), "laptop", "everything",
			&backend.Call{Request: toolCall(t, 3, "trigger-sampling-request", map[string]any{"prompt": "answer?"}, nil), Caller: caller, Sink: sink})
		if err != nil || resp.Error != nil {
			t.Fatalf("call: %v %+v", err, resp)
		}
		if !strings.Contains(string(resp.Result), "forty-two") {
			t.Errorf("result = %s", resp.Result)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		sink := newSink()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		errc := make(chan error, 1)
		go func() {
			_, err := h.reg.Call(ctx, "laptop", "everything",
				&backend.Call{Request: toolCall(t, 4, "trigger-long-running-operation", map[string]any{"duration": 20, "steps": 100}, "tok-2"), Caller: caller, Sink: sink})
			errc <- err
		}()
		<-sink.notes // the call is running
		cancel()
		select {
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second): // "at once", with room for a loaded CI machine
			t.Fatal("cancelled call did not return at once")
		}
		ta.log.waitFor(t, "call cancelled by the hub")
		ta.log.waitFor(t, "msg=call", "method=tools/call", "caller=alice", "err=\"context canceled\"")
	})

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := h.reg.Call(ctx, "laptop", "everything",
			&backend.Call{Request: toolCall(t, 5, "trigger-long-running-operation", map[string]any{"duration": 20, "steps": 2}, nil), Caller: caller})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("unknown backend", func(t *testing.T) {
		resp, err := h.reg.Call(context.Background(), "laptop", "nope", &backend.Call{Request: toolCall(t, 6, "echo", nil, nil), Caller: caller})
		if err != nil || resp.Error == nil {
			t.Fatalf("want an error response, got %v %+v", err, resp)
		}
		var we *jsonrpc.Error
		if !errors.As(resp.Error, &we) || we.Code != connector.CodeUnavailable ||
			we.Message != `agent "laptop": backend "nope": unknown backend` {
			t.Errorf("error = %+v", resp.Error)
		}
	})

	t.Run("still works after all that", func(t *testing.T) {
		resp, err := h.reg.Call(context.Background(), "laptop", "everything",
			&backend.Call{Request: toolCall(t, 7, "get-sum", map[string]any{"a": 2, "b": 3}, nil), Caller: caller})
		if err != nil || resp.Error != nil || !strings.Contains(string(resp.Result), "5") {
			t.Fatalf("call: %v %+v", err, resp)
		}
	})
}

// The real connector, with a key bound to another id: refused, logged on both sides, and
// the agent keeps running (it retries slowly instead of exiting).
func TestAgentIDMismatchRefused(t *testing.T) {
	h := startHub(t, "")
	cfg := agentConfig(t, h.url(), "desktop", laptopKey)
	cfg.Backends = nil
	ta := startAgent(t, cfg)
	h.log.waitFor(t, "level=WARN", "agent refused: its key is bound to another agent id",
		"key_agent=laptop", "remote=127.0.0.1", "hello_agent=desktop")
	ta.log.waitFor(t, "level=ERROR", "the hub refused this agent", "code=agent_id_mismatch",
		`this key is bound to agent \"laptop\", not \"desktop\"`)
	select {
	case err := <-ta.done:
		t.Fatalf("agent exited after a refusal: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if n := len(h.reg.List()); n != 0 {
		t.Errorf("%d agents registered", n)
	}
}

// The hub restarts on the same address: the agent reconnects with the same backend
// process, and calls work again.
func TestReconnectAfterHubRestart(t *testing.T) {
	h := startHub(t, "")
	addr := h.srv.Listener.Addr().String()
	ta := startAgent(t, agentConfig(t, h.url(), "laptop", laptopKey))
	h.waitReady(t, "laptop")
	pids := childPIDs(t, os.Getpid(), "mcp-server-everything")
	if len(pids) != 1 {
		t.Fatalf("backend processes before restart: %v", pids)
	}
	h.stop()
	ta.log.waitFor(t, "the hub is shutting down; reconnecting")

	h2 := startHub(t, addr)
	h2.waitReady(t, "laptop")
	if after := childPIDs(t, os.Getpid(), "mcp-server-everything"); len(after) != 1 || after[0] != pids[0] {
		t.Errorf("backend processes after reconnect: %v, want the same %v", after, pids)
	}
	resp, err := h2.reg.Call(context.Background(), "laptop", "everything",
		&backend.Call{Request: toolCall(t, 1, "echo", map[string]any{"message": "again"}, nil)})
	if err != nil || resp.Error != nil || !strings.Contains(string(resp.Result), "Echo: again") {
		t.Fatalf("call after reconnect: %v %+v", err, resp)
	}
	if _, err := h.reg.Call(context.Background(), "laptop", "everything",
		&backend.Call{Request: toolCall(t, 2, "echo", nil, nil)}); !errors.Is(err, agents.ErrAgentGone) {
		t.Errorf("old hub: %v", err)
	}
}
