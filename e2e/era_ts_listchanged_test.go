package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
)

// TestEraMatrixTSLegacyListChanged completes the cell {legacy TypeScript SDK client} ×
// {legacy backend (npm server-everything)} with list_changed (TestTSSDKClient covers list,
// call, progress, cancellation and sampling there): two TypeScript SDK clients stay
// connected, one over streamable HTTP (the notification arrives on its GET stream) and one
// over the old HTTP+SSE transport, while the agent "laptop" stops and starts again. Each
// sees notifications/tools/list_changed both times, the laptop's tools leave and come back
// in its tools/list, and a call through the agent works again afterwards.
func TestEraMatrixTSLegacyListChanged(t *testing.T) {
	node := nodeBin(t)
	m := startMesh(t)
	script := filepath.Join(repoRoot(t), "e2e", "ts", "listchanged.mjs")
	const laptopTool = "laptop__everything__echo"

	clients := map[string]*tsWatcher{}
	for _, mode := range []string{"streamable", "sse"} {
		c := startTSWatcher(t, node, script, mode, m.hub.URL, m.hub.OwnerKey)
		ready := c.next(t, 60*time.Second)
		if ready.Event != "ready" {
			t.Fatalf("%s: %+v, want ready", mode, ready)
		}
		if !slices.Contains(ready.Names, laptopTool) || !slices.Contains(ready.Names, "everything__echo") {
			t.Fatalf("%s: %d tools without %s: %v", mode, ready.Tools, laptopTool, ready.Names)
		}
		if ready.Version != nil && *ready.Version >= "2026-07-28" {
			t.Errorf("%s: negotiated %s, want a session-based version", mode, *ready.Version)
		}
		t.Logf("%s: connected (version %v), %d tools", mode, deref(ready.Version), ready.Tools)
		clients[mode] = c
	}

	before := map[string]int64{}
	for mode, c := range clients {
		before[mode] = c.listChanged.Load()
	}
	m.agent.stop()
	for mode, c := range clients {
		waitFor(t, 30*time.Second, mode+" client: list_changed after the agent stopped", func() bool {
			return c.listChanged.Load() > before[mode]
		})
		waitFor(t, 10*time.Second, mode+" client: the laptop's tools gone from tools/list", func() bool {
			r := c.do(t, "list")
			return r.Event == "list" && !slices.Contains(r.Names, laptopTool) && slices.Contains(r.Names, "everything__echo")
		})
	}

	mid := map[string]int64{}
	for mode, c := range clients {
		mid[mode] = c.listChanged.Load()
	}
	m.startAgent(t)
	for mode, c := range clients {
		waitFor(t, 60*time.Second, mode+" client: list_changed after the agent started", func() bool {
			return c.listChanged.Load() > mid[mode]
		})
		waitFor(t, 30*time.Second, mode+" client: the laptop's tools back in tools/list", func() bool {
			r := c.do(t, "list")
			return r.Event == "list" && slices.Contains(r.Names, laptopTool) && slices.Contains(r.Names, "laptop__fs__read_text_file")
		})
		r := c.do(t, `call `+laptopTool+` {"message":"back from `+mode+`"}`)
		if r.Event != "call" || r.IsError || !strings.Contains(r.Text, "back from "+mode) {
			t.Errorf("%s: call after the agent came back: %+v", mode, r)
		}
		t.Logf("%s: %d list_changed in all (%d on stop, %d on start)", mode, c.listChanged.Load(),
			mid[mode]-before[mode], c.listChanged.Load()-mid[mode])
	}
	for _, c := range clients {
		c.quit(t)
	}
}

// tsEvent is one line of e2e/ts/listchanged.mjs.
type tsEvent struct {
	Event   string   `json:"event"`
	Version *string  `json:"version"`
	Tools   int      `json:"tools"`
	Names   []string `json:"names"`
	Count   int      `json:"count"`
	Text    string   `json:"text"`
	IsError bool     `json:"isError"`
	Error   string   `json:"error"`
}

// tsWatcher is a running listchanged.mjs: list_changed lines are counted as they arrive,
// every other line is the answer to a command (or the first, "ready").
type tsWatcher struct {
	mode        string
	cmd         *exec.Cmd
	stdin       io.WriteCloser
	lines       chan tsEvent
	listChanged atomic.Int64
	stderr      *syncbuf.Buffer
	done        chan struct{}
}

func startTSWatcher(t *testing.T, node, script, mode, url, key string, path ...string) *tsWatcher {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	c := &tsWatcher{mode: mode, lines: make(chan tsEvent, 16), stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	c.cmd = exec.CommandContext(ctx, node, append([]string{script, mode, url, key}, path...)...)
	c.cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("listchanged.mjs %s: %v", mode, err)
	}
	go func() {
		defer close(c.done)
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
		for sc.Scan() {
			var ev tsEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				ev = tsEvent{Event: "error", Error: fmt.Sprintf("not JSON: %q", sc.Text())}
			}
			if ev.Event == "list_changed" {
				c.listChanged.Add(1)
				continue
			}
			c.lines <- ev
		}
	}()
	t.Cleanup(func() {
		c.stdin.Close()
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
		}
		cancel()
		_ = c.cmd.Wait()
		if t.Failed() && c.stderr.String() != "" {
			t.Logf("listchanged.mjs %s stderr:\n%s", mode, c.stderr.String())
		}
	})
	return c
}

// next returns the next line that is not a list_changed.
func (c *tsWatcher) next(t *testing.T, d time.Duration) tsEvent {
	t.Helper()
	select {
	case ev, ok := <-c.lines:
		if !ok {
			t.Fatalf("listchanged.mjs %s exited\nstderr: %s", c.mode, c.stderr.String())
		}
		return ev
	case <-time.After(d):
		t.Fatalf("listchanged.mjs %s: nothing within %s\nstderr: %s", c.mode, d, c.stderr.String())
	}
	return tsEvent{}
}

// do sends one command and returns its answer.
func (c *tsWatcher) do(t *testing.T, command string) tsEvent {
	t.Helper()
	if _, err := io.WriteString(c.stdin, command+"\n"); err != nil {
		t.Fatalf("listchanged.mjs %s: %v", c.mode, err)
	}
	return c.next(t, 30*time.Second)
}

// quit ends the client and waits for it to exit cleanly.
func (c *tsWatcher) quit(t *testing.T) {
	t.Helper()
	_, _ = io.WriteString(c.stdin, "quit\n")
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Errorf("listchanged.mjs %s did not exit after quit", c.mode)
		return
	}
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("listchanged.mjs %s: %v\nstderr: %s", c.mode, err, c.stderr.String())
	}
}

func deref(s *string) string {
	if s == nil {
		return "?"
	}
	return *s
}
