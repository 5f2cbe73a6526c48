package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// conformanceServer runs go-sdk's conformance everything-server over streamable HTTP, in its
// default stateless mode (the 2026-07-28 era) or stateful (legacy), and returns its URL.
func conformanceServer(t *testing.T, stateless bool) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(root, "e2e", "conformance", "everything-server.sh"), "--build-only").Output()
	if err != nil {
		t.Fatalf("build the conformance everything-server: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // the server takes an address; the backend retries until it listens
	mode := "-stateless=false"
	if stateless {
		mode = "-stateless=true"
	}
	cmd := exec.Command(strings.TrimSpace(string(out)), "-http="+addr, mode)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return "http://" + addr + "/mcp"
}

func TestModernBackend(t *testing.T) {
	b := start(t, Config{Name: "modern", Transport: TransportHTTP, URL: conformanceServer(t, true)},
		Options{BackoffBase: 50 * time.Millisecond})

	snap := b.Snapshot()
	if snap.ProtocolVersion != modernVersion || !b.sess.Load().modern {
		t.Fatalf("era: protocolVersion %q", snap.ProtocolVersion)
	}
	if !strings.Contains(string(snap.ServerInfo), "mcp-conformance-test-server") || len(snap.Prompts) == 0 || len(snap.Resources) == 0 {
		t.Errorf("snapshot: serverInfo %s, %d prompts, %d resources", snap.ServerInfo, len(snap.Prompts), len(snap.Resources))
	}
	if !hasTool(snap, "test_simple_text") {
		t.Fatalf("tools: %v", toolNames(snap))
	}

	t.Run("call", func(t *testing.T) {
		resp, err := b.Call(context.Background(), toolCall(t, "m1", "test_simple_text", map[string]any{}, nil), nil)
		if got := resultText(t, resp, err); !strings.Contains(got, "simple text") || resp.ID.Raw() != "m1" {
			t.Errorf("got %q id %v", got, resp.ID.Raw())
		}
	})

	t.Run("progress", func(t *testing.T) {
		sink := newSink(nil)
		resp, err := b.Call(context.Background(), toolCall(t, 2, "test_tool_with_progress", map[string]any{},
			map[string]any{"progressToken": "tok-7"}), sink)
		resultText(t, resp, err)
		if len(sink.notes) != 3 {
			t.Fatalf("%d progress notifications, want 3", len(sink.notes))
		}
		if n := <-sink.notes; !strings.Contains(string(n.Params), `"progressToken":"tok-7"`) {
			t.Errorf("progress with the caller's token expected: %s", n.Params)
		}
	})

	t.Run("cancellation", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		sink := newSink(nil)
		done := make(chan error, 1)
		go func() {
			_, err := b.Call(ctx, toolCall(t, 3, "test_tool_with_progress", map[string]any{},
				map[string]any{"progressToken": 1}), sink)
			done <- err
		}()
		<-sink.notes // running
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("call did not return after cancel")
		}
	})

	t.Run("sampling through input_required", func(t *testing.T) {
		sink := newSink(func(req *jsonrpc.Request) (*jsonrpc.Response, error) {
			return &jsonrpc.Response{Result: json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"Paris"},"model":"m","stopReason":"endTurn"}`)}, nil
		})
		resp, err := b.Call(context.Background(), toolCall(t, 4, "test_input_required_result_sampling", map[string]any{}, nil), sink)
		if got := resultText(t, resp, err); got != "Sampling response: Paris" {
			t.Errorf("got %q", got)
		}
		req := <-sink.requests
		if req.Method != "sampling/createMessage" || !strings.Contains(string(req.Params), "capital of France") {
			t.Errorf("the sink was asked %s %s", req.Method, req.Params)
		}
	})

	t.Run("elicitation over several rounds with requestState", func(t *testing.T) {
		sink := newSink(func(req *jsonrpc.Request) (*jsonrpc.Response, error) {
			content := `{"name":"Ada"}`
			if strings.Contains(string(req.Params), "color") {
				content = `{"color":"green"}`
			}
			return &jsonrpc.Response{Result: json.RawMessage(`{"action":"accept","content":` + content + `}`)}, nil
		})
		resp, err := b.Call(context.Background(), toolCall(t, 5, "test_input_required_result_multi_round", map[string]any{}, nil), sink)
		if got := resultText(t, resp, err); got != "Multi-round complete: Ada likes green" {
			t.Errorf("got %q", got)
		}
		if len(sink.requests) != 2 {
			t.Errorf("%d requests to the client, want 2", len(sink.requests))
		}
	})

	t.Run("a refusal by the client reaches the caller", func(t *testing.T) {
		sink := newSink(func(*jsonrpc.Request) (*jsonrpc.Response, error) {
			return nil, &jsonrpc.Error{Code: -1, Message: "user said no"}
		})
		resp, err := b.Call(context.Background(), toolCall(t, 6, "test_input_required_result_sampling", map[string]any{}, nil), sink)
		if err != nil || resp.Error == nil || !strings.Contains(resp.Error.Error(), "user said no") || fmt.Sprint(resp.ID.Raw()) != "6" {
			t.Errorf("got %+v, %v", resp, err)
		}
	})

	t.Run("cancellation while the client is asked", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		asked := make(chan struct{})
		sink := &blockingSink{asked: asked}
		done := make(chan error, 1)
		go func() {
			_, err := b.Call(ctx, toolCall(t, 7, "test_input_required_result_sampling", map[string]any{}, nil), sink)
			done <- err
		}()
		<-asked
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("call did not return after cancel")
		}
	})

	t.Run("no client to ask", func(t *testing.T) {
		resp, err := b.Call(context.Background(), toolCall(t, 8, "test_input_required_result_sampling", map[string]any{}, nil), nil)
		if err != nil || resp.Error == nil || !strings.Contains(resp.Error.Error(), "no client to ask") {
			t.Errorf("got %+v, %v", resp, err)
		}
	})

	t.Run("passthrough to a modern client", func(t *testing.T) {
		resp, err := b.Call(context.Background(), toolCall(t, 9, "test_input_required_result_sampling", map[string]any{}, nil), passSink{newSink(nil)})
		if err != nil || resp.Error != nil || !strings.Contains(string(resp.Result), `"inputRequests"`) {
			t.Errorf("got %+v, %v", resp, err)
		}
	})

	t.Run("list changed through subscriptions/listen", func(t *testing.T) {
		before := b.relists.Load()
		resp, err := b.Call(context.Background(), toolCall(t, 10, "test_trigger_tool_change", map[string]any{}, nil), nil)
		resultText(t, resp, err)
		waitFor(t, 10*time.Second, "the new tool in the snapshot", func() bool {
			return b.relists.Load() > before && hasTool(b.Snapshot(), "__transient_tool_for_list_changed")
		})
	})
}

// The stateful conformance server answers server/discover without the stateless version:
// the backend falls back to initialize and keeps the legacy path.
func TestStatefulServerStaysLegacy(t *testing.T) {
	b := start(t, Config{Name: "stateful", Transport: TransportHTTP, URL: conformanceServer(t, false)},
		Options{BackoffBase: 50 * time.Millisecond})
	if v := b.Snapshot().ProtocolVersion; v != protocolVersion || b.sess.Load().modern {
		t.Fatalf("protocolVersion %q", v)
	}
	sink := newSink(func(*jsonrpc.Request) (*jsonrpc.Response, error) {
		return &jsonrpc.Response{Result: json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"legacy"},"model":"m"}`)}, nil
	})
	resp, err := b.Call(context.Background(), toolCall(t, 1, "test_sampling", map[string]any{"prompt": "p"}, nil), sink)
	if got := resultText(t, resp, err); !strings.Contains(got, "legacy") {
		t.Errorf("sampling: %q", got)
	}
}

// blockingSink reports when it is asked and answers only when the call's context ends.
type blockingSink struct{ asked chan struct{} }

func (s *blockingSink) Notify(*jsonrpc.Request) {}

func (s *blockingSink) Request(ctx context.Context, _ *jsonrpc.Request) (*jsonrpc.Response, error) {
	close(s.asked)
	<-ctx.Done()
	return nil, ctx.Err()
}

// passSink serves a client of the stateless era.
type passSink struct{ *testSink }

func (passSink) PassInputRequired() bool { return true }
