package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// stdioConn is one server process with requests multiplexed by id, as an MCP host does.
type stdioConn struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	mu      sync.Mutex
	pending map[int64]chan []byte
	next    atomic.Int64
}

type stdioCaller struct {
	c   *stdioConn
	srv server
}

func (s stdioCaller) call(ctx context.Context, i int) error {
	b, err := s.c.roundTrip(ctx, "tools/call", fmt.Sprintf(`{"name":%q,"arguments":{"message":%s}}`, s.srv.tool, message(i)))
	if err == nil && !bytes.Contains(b, []byte(s.srv.expect)) {
		err = fmt.Errorf("unexpected reply: %s", b)
	}
	return err
}

// newStdioCallers starts one server and returns conc callers sharing it.
func newStdioCallers(ctx context.Context, srv server, conc int) ([]caller, error) {
	cmd := exec.CommandContext(ctx, srv.command, srv.args...)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", srv.command, err)
	}
	c := &stdioConn{cmd: cmd, in: in, pending: map[int64]chan []byte{}}
	go c.readLoop(out)
	if _, err := c.roundTrip(ctx, "initialize", `{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"callbench","version":"1"}}`); err != nil {
		return nil, err
	}
	if _, err := io.WriteString(in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"); err != nil {
		return nil, err
	}
	callers := make([]caller, conc)
	for i := range callers {
		callers[i] = stdioCaller{c: c, srv: srv}
	}
	return callers, nil
}

// close ends the server: stdin closed, then killed if it lingers.
func (c *stdioConn) close() {
	c.in.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

func (c *stdioConn) readLoop(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var m struct {
			ID *int64 `json:"id"`
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil || m.ID == nil {
			continue
		}
		c.mu.Lock()
		ch := c.pending[*m.ID]
		delete(c.pending, *m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- append([]byte(nil), sc.Bytes()...)
		}
	}
}

func (c *stdioConn) roundTrip(ctx context.Context, method, params string) ([]byte, error) {
	id := c.next.Add(1)
	ch := make(chan []byte, 1)
	c.mu.Lock()
	c.pending[id] = ch
	_, err := fmt.Fprintf(c.in, `{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`+"\n", id, method, params)
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case b := <-ch:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
