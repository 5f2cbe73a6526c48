package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
)

// Client talks to a running agent's control socket.
type Client struct {
	Path string

	// What Follow has mirrored, so that re-attaching does not repeat log lines.
	started time.Time // the agent's Snapshot.Started
	seq     uint64    // its last log line's Seq
}

// dialTimeout bounds connecting to the socket; it is local, so this is generous.
const dialTimeout = 5 * time.Second

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := dial(ctx, c.Path)
	if errors.Is(err, ErrUnsupported) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("no running agent at %s (start one with `mcp-gateway-agent run` or `mcp-gateway-agent service start`): %w", c.Path, err)
	}
	return conn, nil
}

// do sends one request and reads one message. A failed send still reads: the agent may have
// refused the connection (another user) and closed it before reading the request, and its
// refusal is what the caller must see, not the broken pipe.
func (c *Client) do(ctx context.Context, op string) (Message, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return Message{}, err
	}
	defer conn.Close()
	context.AfterFunc(ctx, func() { _ = conn.Close() })
	werr := writeRequest(conn, op)
	r := newReader(conn)
	m, err := r.next()
	if err != nil {
		if werr != nil {
			return m, werr
		}
		return m, err
	}
	if m.Type == TypeError {
		return m, errors.New(m.Error)
	}
	return m, nil
}

// Snapshot asks for the agent's current state.
func (c *Client) Snapshot(ctx context.Context) (status.Snapshot, error) {
	m, err := c.do(ctx, OpSnapshot)
	if err != nil {
		return status.Snapshot{}, err
	}
	if m.Type != TypeSnapshot {
		return status.Snapshot{}, fmt.Errorf("agent answered %s with a %s message", OpSnapshot, m.Type)
	}
	return *m.Snapshot, nil
}

// Reconnect asks the agent to connect to its hub now.
func (c *Client) Reconnect(ctx context.Context) error {
	_, err := c.do(ctx, OpReconnect)
	return err
}

// CheckUpdate asks the agent to check for a newer release and returns what it found.
func (c *Client) CheckUpdate(ctx context.Context) (string, error) {
	m, err := c.do(ctx, OpCheckUpdate)
	return m.Message, err
}

// Follow subscribes and keeps mirror equal to the agent's state (snapshots replace it, log
// lines are appended) until the connection ends or ctx does. connected is called once the
// first snapshot is in. Called again after the connection ended, it adds only log lines the
// mirror lacks (all of them when the agent was restarted). Follow calls must not overlap.
func (c *Client) Follow(ctx context.Context, mirror *status.Tracker, connected func()) error {
	conn, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	context.AfterFunc(ctx, func() { _ = conn.Close() })
	if err := writeRequest(conn, OpSubscribe); err != nil {
		return err
	}
	r := newReader(conn)
	for first := true; ; first = false {
		m, err := r.next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		switch m.Type {
		case TypeSnapshot:
			if !m.Snapshot.Started.Equal(c.started) {
				c.started, c.seq = m.Snapshot.Started, 0
			}
			mirror.Restore(*m.Snapshot)
		case TypeLog:
			if m.Log.Seq > c.seq {
				c.seq = m.Log.Seq
				mirror.Log(*m.Log)
			}
		case TypeError:
			return fmt.Errorf("agent: %s", m.Error)
		}
		if first && connected != nil {
			connected()
		}
	}
}

func writeRequest(w io.Writer, op string) error {
	b, _ := json.Marshal(Request{Op: op})
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("send %s to the agent: %w", op, err)
	}
	return nil
}

type reader struct{ sc *bufio.Scanner }

func newReader(r io.Reader) *reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxMessageLine)
	return &reader{sc: sc}
}

func (r *reader) next() (Message, error) {
	if !r.sc.Scan() {
		if err := r.sc.Err(); err != nil {
			return Message{}, fmt.Errorf("read from the agent: %w", err)
		}
		return Message{}, fmt.Errorf("the agent closed the control connection: %w", io.EOF)
	}
	return ParseMessage(r.sc.Bytes())
}
