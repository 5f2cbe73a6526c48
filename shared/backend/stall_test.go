package backend

import (
	"context"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// stalledSink is a client that stopped reading: Notify blocks until release is closed.
type stalledSink struct{ release chan struct{} }

func (s stalledSink) Notify(*jsonrpc.Request) { <-s.release }
func (s stalledSink) Request(ctx context.Context, _ *jsonrpc.Request) (*jsonrpc.Response, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// Regression: a client that stops reading must not stall the backend for everyone. Its
// notifications wait on their own goroutine; another client's call on the same backend
// still completes, and the stalled call itself returns when its caller gives up.
func TestStalledClientDoesNotBlockOthers(t *testing.T) {
	srv := needNode(t)
	b := start(t, Config{Name: "everything", Transport: TransportStdio, Command: "node",
		Args: []string{srv.everything, "stdio"}}, Options{})
	b.waitReady(t)
	release := make(chan struct{})
	defer close(release)

	stalledCtx, cancelStalled := context.WithCancel(context.Background())
	defer cancelStalled()
	stalledDone := make(chan struct{})
	go func() {
		defer close(stalledDone)
		req := toolCall(t, "slow", "trigger-long-running-operation",
			map[string]any{"duration": 0.5, "steps": 5}, map[string]any{"progressToken": "t"})
		_, _ = b.Call(stalledCtx, &Call{Request: req, Sink: stalledSink{release}})
	}()
	time.Sleep(300 * time.Millisecond) // let progress notifications pile up on the stalled sink

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 3 {
		resp, err := b.Call(ctx, &Call{Request: toolCall(t, i, "echo", map[string]any{"message": "still here"}, nil)})
		if err != nil || resp.Error != nil {
			t.Fatalf("another client's call behind a stalled one: %v %v", resp, err)
		}
	}
	cancelStalled()
	select {
	case <-stalledDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the stalled client's call did not return after its caller gave up")
	}
}
