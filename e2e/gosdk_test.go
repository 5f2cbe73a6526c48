package e2e

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestGoSDKClient drives the mesh with the official go-sdk client over Streamable HTTP.
func TestGoSDKClient(t *testing.T) {
	m := startMesh(t)
	var listChanged, progress atomic.Int32
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-go", Version: "1"}, &mcp.ClientOptions{
		CreateMessageHandler: func(ctx context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Model: "e2e-model", Role: "assistant", Content: &mcp.TextContent{Text: "sampled by the go client"}}, nil
		},
		ToolListChangedHandler:      func(context.Context, *mcp.ToolListChangedRequest) { listChanged.Add(1) },
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { progress.Add(1) },
	})
	ctx := ctxFor(t, 3*time.Minute)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: m.hub.MCPURL(), HTTPClient: authClient(m.hub.OwnerKey)}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer cs.Close()

	t.Run("list tools of all three backends", func(t *testing.T) {
		names := map[string]bool{}
		for tool, err := range cs.Tools(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			names[tool.Name] = true
		}
		for _, want := range []string{"everything__echo", "laptop__everything__echo", "laptop__fs__read_text_file"} {
			if !names[want] {
				t.Errorf("tool %s missing from %d tools", want, len(names))
			}
		}
	})
	t.Run("call echo on hub-local and agent backends", func(t *testing.T) {
		for _, name := range []string{"everything__echo", "laptop__everything__echo"} {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{"message": "hi " + name}})
			if err != nil {
				t.Fatal(err)
			}
			if got := text(res.Content); !strings.Contains(got, "hi "+name) {
				t.Errorf("%s: got %q", name, got)
			}
		}
	})
	t.Run("read a file through the filesystem server", func(t *testing.T) {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__fs__read_text_file", Arguments: map[string]any{"path": m.fsDir + "/hello.txt"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := text(res.Content); !strings.Contains(got, "hello through the mesh") {
			t.Errorf("got %q (isError %v)", got, res.IsError)
		}
	})
	t.Run("read a resource", func(t *testing.T) {
		var uri string
		for r, err := range cs.Resources(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(r.URI, "laptop__everything") {
				uri = r.URI
				break
			}
		}
		if uri == "" {
			t.Fatal("no resource of laptop/everything listed")
		}
		res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Contents) == 0 || res.Contents[0].URI != uri {
			t.Errorf("contents %+v, want the exposed uri %s", res.Contents, uri)
		}
	})
	t.Run("get a prompt", func(t *testing.T) {
		res, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "laptop__everything__simple-prompt"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			t.Error("prompt has no messages")
		}
	})
	t.Run("progress notifications", func(t *testing.T) {
		before := progress.Load()
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__trigger-long-running-operation",
			Arguments: map[string]any{"duration": 1, "steps": 4}, Meta: mcp.Meta{"progressToken": "p-1"}})
		if err != nil {
			t.Fatal(err)
		}
		// The client hands notifications to its handler apart from the result: wait for them.
		deadline := time.Now().Add(30 * time.Second)
		for progress.Load()-before < 3 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // no event to wait on: the handler counts
		}
		if got := progress.Load() - before; got < 3 {
			t.Errorf("got %d progress notifications, want ≥ 3", got)
		}
	})
	t.Run("cancel a call", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := cs.CallTool(cctx, &mcp.CallToolParams{Name: "laptop__everything__trigger-long-running-operation",
			Arguments: map[string]any{"duration": 30, "steps": 30}})
		if err == nil {
			t.Fatal("a 30 s operation finished within its 1.5 s deadline")
		}
		if d := time.Since(began); d > 10*time.Second {
			t.Errorf("cancelled call returned after %s", d)
		}
		// The hub forgot the call: its session has nothing in flight afterwards.
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: map[string]any{"message": "after cancel"}})
		if err != nil || !strings.Contains(text(res.Content), "after cancel") {
			t.Errorf("call after cancel: %v %v", res, err)
		}
	})
	t.Run("sampling answered by the client", func(t *testing.T) {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__trigger-sampling-request",
			Arguments: map[string]any{"prompt": "say hi", "maxTokens": 10}})
		if err != nil {
			t.Fatal(err)
		}
		if got := text(res.Content); !strings.Contains(got, "sampled by the go client") {
			t.Errorf("sampling result %q", got)
		}
	})
	t.Run("list_changed when the agent stops and starts", func(t *testing.T) {
		before := listChanged.Load()
		m.agent.stop()
		waitFor(t, 30*time.Second, "list_changed after agent stop", func() bool { return listChanged.Load() > before })
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: map[string]any{"message": "x"}})
		if err == nil || !strings.Contains(err.Error(), `agent "laptop"`) {
			t.Errorf("call to a gone agent: %v, want an error naming the agent", err)
		}
		mid := listChanged.Load()
		m.startAgent(t)
		waitFor(t, 60*time.Second, "list_changed after agent start", func() bool { return listChanged.Load() > mid })
		m.waitTools(t, "laptop__everything__echo")
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: map[string]any{"message": "back"}})
		if err != nil || !strings.Contains(text(res.Content), "back") {
			t.Errorf("call after restart: %v %v", res, err)
		}
	})
}

func text(content []mcp.Content) string {
	var b strings.Builder
	for _, c := range content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

var _ = errors.New
