package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	gwmcp "github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// sseConn is the connection to a server of the deprecated HTTP+SSE transport (2024-11-05):
// one GET event stream brings every message from the server, and its first event, endpoint,
// names the URL each message to the server is POSTed to. Messages are encoded and parsed
// once with shared/mcp's raw codec, as on the other connections. An event that is not
// JSON-RPC, or over max_message_bytes, fails the call whose id it names, not the connection;
// the stream's end fails the connection.
type sseConn struct {
	name   string
	client *http.Client
	log    *slog.Logger
	stats  *lineStats
	post   string // the endpoint
	cancel context.CancelFunc
	inbox
}

var _ mcp.Connection = (*sseConn)(nil)

// dialSSE opens the event stream and waits for its endpoint. The stream lasts until Close or
// the end of ctx.
func dialSSE(ctx context.Context, b *Backend, client *http.Client) (*sseConn, error) {
	ctx, cancel := context.WithCancel(ctx)
	c := &sseConn{name: b.cfg.Name, client: client, log: b.log, stats: &b.lines, cancel: cancel, inbox: newInbox()}
	base, err := url.Parse(b.cfg.URL)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("connect %s: %w", b.cfg.URL, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.cfg.URL, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header["Accept"] = []string{"text/event-stream"}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("connect %s: %w", b.cfg.URL, err)
	}
	if resp.StatusCode/100 != 2 {
		drainClose(resp.Body)
		cancel()
		return nil, fmt.Errorf("connect %s: %s", b.cfg.URL, resp.Status)
	}
	endpoint := make(chan string, 1)
	limit := b.cfg.maxMessageBytes()
	go func() {
		defer resp.Body.Close()
		first := true
		err := readEvents(resp.Body, limit, func(ev sseEvent) error {
			if first {
				if ev.name != "endpoint" {
					return fmt.Errorf("the stream's first event is %q, not endpoint", ev.name)
				}
				endpoint <- string(ev.data)
				first = false
				return nil
			}
			if ev.over > 0 {
				c.tooLarge(ev, limit)
				return nil
			}
			if len(ev.data) > 0 && (ev.name == "" || ev.name == "message") {
				c.deliver(ev.data)
			}
			return nil
		})
		if err == nil {
			err = errors.New("the server ended the event stream")
		}
		if ctx.Err() == nil {
			c.fail(fmt.Errorf("backend %q: %w", c.name, err))
		}
		cancel()
	}()
	select {
	case e := <-endpoint:
		post, err := base.Parse(e)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("connect %s: endpoint %q: %w", b.cfg.URL, e, err)
		}
		c.post = post.String()
		return c, nil
	case <-c.failed:
		c.Close()
		return nil, fmt.Errorf("connect %s: %w", b.cfg.URL, c.failure())
	case <-ctx.Done():
		c.Close()
		return nil, fmt.Errorf("connect %s: %w", b.cfg.URL, ctx.Err())
	}
}

// deliver pushes the message(s) of one event. One that is not JSON-RPC fails the call it
// names, when its id can be found.
func (c *sseConn) deliver(data []byte) {
	m, err := gwmcp.ParseMessage(data)
	if err == nil {
		c.push(m)
		return
	}
	if gwmcp.IsBatch(data) {
		if msgs, ok := parseBatch(data); ok {
			for _, m := range msgs {
				c.push(m)
			}
			return
		}
	}
	var f gwmcp.IDFinder
	_, _ = f.Write(data)
	reason := fmt.Sprintf("backend %q answered with an event that is not valid JSON-RPC (%v)", c.name, err)
	if m := c.stats.unusable(c.log, &f, gwmcp.CodeBadBackendMessage, reason, data); m != nil {
		c.push(m)
	}
}

// tooLarge fails the call an event over the limit answers, when its id could be found.
func (c *sseConn) tooLarge(ev sseEvent, limit int) {
	if m := c.stats.unusable(c.log, ev.find, gwmcp.CodeResultTooLarge, overLimit(c.name, ev.over, limit), nil); m != nil {
		c.push(m)
	}
}

// Write POSTs msg to the endpoint; what the server answers comes on the event stream.
func (c *sseConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if err := c.failure(); err != nil {
		return err
	}
	req, err := newPost(ctx, c.name, c.post, msg)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what(msg), err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", what(msg), resp.Status)
	}
	return nil
}

// Close ends the event stream.
func (c *sseConn) Close() error {
	c.cancel()
	c.inbox.close()
	return nil
}

// SessionID is empty: the transport's session is in the endpoint's URL.
func (c *sseConn) SessionID() string { return "" }
