package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// TestStdioEverything runs the reference "everything" server over stdio and goes through
// what a call can do: ids, progress, cancellation, sampling, logs, events, list changes.
func TestStdioEverything(t *testing.T) {
	srv := needNode(t)
	b := start(t, Config{Name: "everything", Transport: TransportStdio, Command: "node",
		Args: []string{srv.everything, "stdio"}, Env: map[string]string{"GATEWAY_TEST": "on"}}, Options{})

	t.Run("snapshot", func(t *testing.T) {
		snap := b.Snapshot()
		if len(snap.Tools) == 0 || !hasTool(snap, "echo") {
			t.Fatalf("tools: %v", toolNames(snap))
		}
		if len(snap.Resources) == 0 || len(snap.ResourceTemplates) == 0 || len(snap.Prompts) == 0 {
			t.Errorf("lists: %d resources, %d templates, %d prompts",
				len(snap.Resources), len(snap.ResourceTemplates), len(snap.Prompts))
		}
		if !strings.Contains(string(snap.ServerInfo), "everything") || len(snap.Capabilities) == 0 {
			t.Errorf("serverInfo %s, capabilities %s", snap.ServerInfo, snap.Capabilities)
		}
	})

	t.Run("roots/list with no call in flight is refused", func(t *testing.T) {
		// The server asks for roots on its own shortly after initialization and logs our
		// refusal. Calls with a sink would get the request: none runs before this subtest.
		waitFor(t, 5*time.Second, "the server's roots/list refusal in its stderr", func() bool {
			return b.logs.contains("no client request in progress to answer roots/list")
		})
	})

	t.Run("echo restores the caller's id", func(t *testing.T) {
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, "caller-7", "echo", map[string]any{"message": "hi"}, nil)})
		if got := resultText(t, resp, err); !strings.Contains(got, "hi") {
			t.Errorf("echo: %q", got)
		}
		if resp.ID.Raw() != "caller-7" {
			t.Errorf("response id %v, want caller-7", resp.ID.Raw())
		}
	})

	t.Run("concurrent calls with the same caller id", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				msg := fmt.Sprintf("m%d", i)
				resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, float64(1), "echo", map[string]any{"message": msg}, nil)})
				if err != nil || resp.Error != nil || !strings.Contains(string(resp.Result), msg) || resp.ID.Raw() != int64(1) {
					t.Errorf("call %d: %v %+v", i, err, resp)
				}
			})
		}
		wg.Wait()
	})

	t.Run("clean environment", func(t *testing.T) {
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "get-env", map[string]any{}, nil)})
		var env map[string]string
		if err := json.Unmarshal([]byte(resultText(t, resp, err)), &env); err != nil {
			t.Fatal(err)
		}
		if env["GATEWAY_TEST"] != "on" || env["PATH"] == "" {
			t.Errorf("configured or base variables missing: %v", env)
		}
		if len(env[markEnv]) != 24 {
			t.Errorf("the supervisor's mark is missing: %s=%q", markEnv, env[markEnv])
		}
		for k := range env {
			if k != "PATH" && k != "HOME" && k != "GATEWAY_TEST" && k != markEnv && !slices.Contains(NetworkEnv, k) {
				t.Errorf("server inherited %s", k)
			}
		}
	})

	t.Run("progress token mapped back", func(t *testing.T) {
		sink := newSink(nil)
		req := toolCall(t, "p1", "trigger-long-running-operation",
			map[string]any{"duration": 0.3, "steps": 3}, map[string]any{"progressToken": "tok-<&>"})
		resp, err := b.Call(context.Background(), &Call{Request: req, Sink: sink})
		resultText(t, resp, err)
		if len(sink.notes) != 3 {
			t.Fatalf("%d progress notifications, want 3", len(sink.notes))
		}
		for range 3 {
			n := <-sink.notes
			var p struct {
				Token    string  `json:"progressToken"`
				Progress float64 `json:"progress"`
			}
			if err := json.Unmarshal(n.Params, &p); err != nil || n.Method != "notifications/progress" || p.Token != "tok-<&>" {
				t.Errorf("notification %s %s: %v", n.Method, n.Params, err)
			}
		}
	})

	t.Run("cancel returns at once and tells the server", func(t *testing.T) {
		sink := newSink(nil)
		ctx, cancel := context.WithCancel(context.Background())
		req := toolCall(t, 1, "trigger-long-running-operation",
			map[string]any{"duration": 1.6, "steps": 4}, map[string]any{"progressToken": 5})
		strays := b.strays.Load()
		errc := make(chan error, 1)
		go func() {
			_, err := b.Call(ctx, &Call{Request: req, Sink: sink})
			errc <- err
		}()
		<-sink.notes // the call is running on the server
		cancel()
		cancelled := time.Now()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if d := time.Since(cancelled); d > 300*time.Millisecond {
			t.Errorf("Call returned %s after cancel", d)
		}
		// The TypeScript SDK drops the result of a request it saw cancelled: had the server
		// not received notifications/cancelled, a late response would arrive (a stray).
		time.Sleep(1600 * time.Millisecond)
		if n := b.strays.Load() - strays; n != 0 {
			t.Errorf("%d late responses: the server did not get notifications/cancelled", n)
		}
	})

	t.Run("sampling reaches the sink", func(t *testing.T) {
		sink := newSink(func(req *jsonrpc.Request) (*jsonrpc.Response, error) {
			return &jsonrpc.Response{Result: json.RawMessage(
				`{"role":"assistant","content":{"type":"text","text":"sampled!"},"model":"test-model"}`)}, nil
		})
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "trigger-sampling-request",
			map[string]any{"prompt": "hello", "maxTokens": 5}, nil), Sink: sink})
		if got := resultText(t, resp, err); !strings.Contains(got, "sampled!") || !strings.Contains(got, "test-model") {
			t.Errorf("result %q", got)
		}
		if req := <-sink.requests; req.Method != "sampling/createMessage" {
			t.Errorf("sink got %s", req.Method)
		}
	})

	t.Run("sampling without a sink is refused", func(t *testing.T) {
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "trigger-sampling-request",
			map[string]any{"prompt": "hello"}, nil)})
		if err != nil {
			t.Fatal(err)
		}
		all := fmt.Sprintf("%s %v", resp.Result, resp.Error)
		if !strings.Contains(all, "no client request in progress to answer sampling/createMessage") {
			t.Errorf("got %s", all)
		}
	})

	t.Run("list_changed re-lists", func(t *testing.T) {
		// The server registers tools that depend on client capabilities once initialized and
		// announces them with notifications/tools/list_changed.
		waitFor(t, 5*time.Second, "a re-list", func() bool { return b.relists.Load() > 0 })
		if !hasTool(b.Snapshot(), "trigger-sampling-request") {
			t.Errorf("tools after re-list: %v", toolNames(b.Snapshot()))
		}
	})

	t.Run("resource update goes to OnEvent", func(t *testing.T) {
		expectResourceUpdate(t, b)
	})
}

// expectResourceUpdate subscribes to a resource, starts the server's simulated updates and
// waits for notifications/resources/updated to arrive through OnEvent.
func expectResourceUpdate(t *testing.T, b *running) {
	t.Helper()
	const uri = "demo://gateway-test"
	resp, err := b.Call(context.Background(), &Call{Request: request(t, 1, "resources/subscribe", map[string]string{"uri": uri})})
	if err != nil || resp.Error != nil {
		t.Fatalf("subscribe: %v %v", err, resp)
	}
	toggle := func() {
		resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 2, "toggle-subscriber-updates", map[string]any{}, nil)})
		resultText(t, resp, err)
	}
	toggle()
	defer toggle()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-b.events:
			if ev.Method == "notifications/resources/updated" && strings.Contains(string(ev.Params), uri) {
				return
			}
		case <-timeout:
			t.Fatal("no notifications/resources/updated event")
		}
	}
}
