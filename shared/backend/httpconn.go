package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	gwmcp "github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// httpConn is the connection to a streamable HTTP server, both eras: every message is one
// POST, and a call's answer comes back as its JSON body or on the POST's event stream, with
// whatever the server sends on the way (progress, log messages, server→client requests).
// Messages are encoded and parsed once with shared/mcp's raw codec, so params and results
// stay raw bytes; go-sdk's client transport parsed each request's params twice more for
// its headers and decoded every answer through reflection (docs/BENCHMARKS.md, "Our own
// streamable HTTP connection").
//
// An answer that cannot be used (over the size limit, not JSON-RPC, a stream that ends
// without it) fails only its own call. The connection as a whole fails, and the supervisor
// reconnects, when the server forgets the session (404 to a request that carries its id)
// or refuses a request with a status that is neither transient nor a JSON-RPC answer. The
// deprecated HTTP+SSE transport has a connection of its own (sseconn.go).
type httpConn struct {
	name   string // the backend's, for errors
	url    string
	client *http.Client
	hdr    *headerRoundTripper
	log    *slog.Logger
	stats  *lineStats
	limit  int // bytes of one message: a JSON body or one event

	ctx    context.Context // the connection's: resumed streams and the closing DELETE
	cancel context.CancelFunc
	inbox

	mu        sync.Mutex
	sessionID string

	closeOnce sync.Once
}

var _ mcp.Connection = (*httpConn)(nil)

// How long Close waits for the server to take the session's DELETE.
const deleteTimeout = 5 * time.Second

func newHTTPConn(b *Backend, client *http.Client, hdr *headerRoundTripper) *httpConn {
	ctx, cancel := context.WithCancel(context.Background())
	return &httpConn{name: b.cfg.Name, url: b.cfg.URL, client: client, hdr: hdr, log: b.log,
		stats: &b.lines, limit: b.cfg.maxMessageBytes(), ctx: ctx, cancel: cancel, inbox: newInbox()}
}

// SessionID is the Mcp-Session-Id the server gave, empty for a stateless one.
func (c *httpConn) SessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// Close ends the server's session (DELETE) when it has one, and every stream still open.
func (c *httpConn) Close() error {
	c.closeOnce.Do(func() {
		if sid := c.SessionID(); sid != "" && !errors.Is(c.failure(), mcp.ErrSessionMissing) {
			ctx, cancel := context.WithTimeout(c.ctx, deleteTimeout)
			req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.url, nil)
			if err == nil {
				req.Header["Mcp-Session-Id"] = []string{sid}
				if resp, err := c.client.Do(req); err == nil {
					resp.Body.Close()
				}
			}
			cancel()
		}
		c.cancel()
		c.inbox.close()
	})
	return nil
}

var acceptBoth = []string{"application/json, text/event-stream"}

// Write sends msg as one POST. For a call it returns once the server has started its
// answer: a JSON body is read here, an event stream by a goroutine of its own until the
// call's response, and what they carry comes out of Read.
func (c *httpConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if err := c.failure(); err != nil {
		return err
	}
	var call *jsonrpc.Request // the request whose answer this POST brings, if it is a call
	if r, ok := msg.(*jsonrpc.Request); ok && r.IsCall() {
		call = r
	}
	req, err := newPost(ctx, c.name, c.url, msg)
	if err != nil {
		return err
	}
	req.Header["Accept"] = acceptBoth
	c.setHeaders(req.Header, msg)
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what(msg), err) // a *url.Error: the session treats it as lost
	}
	if err := c.check(resp, msg); err != nil {
		drainClose(resp.Body)
		return err
	}
	if call == nil {
		// A notification or a response: 202 Accepted and no body (some servers say 200).
		drainClose(resp.Body)
		return nil
	}
	switch mt := mediaType(resp.Header); {
	case strings.EqualFold(mt, "application/json"):
		c.readJSON(resp.Body, call, linkOf(ctx))
	case strings.EqualFold(mt, "text/event-stream"):
		go c.stream(ctx, resp, call, linkOf(ctx))
	default:
		drainClose(resp.Body)
		return fmt.Errorf("%s: the server answered with content type %q, neither JSON nor an event stream", what(msg), mt)
	}
	return nil
}

// newPost is the POST that sends msg to url, encoded by shared/mcp.
func newPost(ctx context.Context, backend, url string, msg jsonrpc.Message) (*http.Request, error) {
	body, err := appendMessage(nil, msg)
	if err != nil {
		return nil, fmt.Errorf("backend %q: encode: %w", backend, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what(msg), err)
	}
	req.Header["Content-Type"] = []string{"application/json"}
	return req, nil
}

// appendMessage appends the JSON encoding of a request or response to b.
func appendMessage(b []byte, msg jsonrpc.Message) ([]byte, error) {
	switch m := msg.(type) {
	case *jsonrpc.Request:
		return gwmcp.AppendRequest(b, m)
	case *jsonrpc.Response:
		return gwmcp.AppendResponse(b, m)
	}
	return b, fmt.Errorf("unknown message type %T", msg)
}

// mediaType is a Content-Type without its parameters (mime.ParseMediaType makes a map); every HTTP stream reads it so.
func mediaType(h http.Header) string {
	ct := h.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.TrimSpace(ct)
}

// what names a message in errors.
func what(msg jsonrpc.Message) string {
	if req, ok := msg.(*jsonrpc.Request); ok {
		return "send " + strconv.Quote(req.Method)
	}
	return "send a response"
}

// setHeaders sets the session id, the protocol version (the request's own in the stateless
// era, else the negotiated one, which the RoundTripper adds) and, from 2026-07-28, the
// Mcp-Method and Mcp-Name headers that mirror the body (SEP-2243).
func (c *httpConn) setHeaders(h http.Header, msg jsonrpc.Message) {
	if sid := c.SessionID(); sid != "" {
		h["Mcp-Session-Id"] = []string{sid}
	}
	req, ok := msg.(*jsonrpc.Request)
	if !ok {
		return
	}
	version := metaVersion(req.Params)
	if version == "" {
		if v := c.hdr.version.Load(); v != nil {
			version = *v
		}
	}
	if version != "" {
		h["Mcp-Protocol-Version"] = []string{version}
	}
	if version < modernVersion {
		return
	}
	h["Mcp-Method"] = []string{req.Method}
	key := "name"
	switch req.Method {
	case "tools/call", "prompts/get":
	case "resources/read":
		key = "uri"
	default:
		return
	}
	if raw, ok := gwmcp.Field(req.Params, key); ok && len(raw) > 0 && raw[0] == '"' {
		if v, ok := headerValue(raw); ok {
			h["Mcp-Name"] = []string{v}
		}
	}
}

// metaVersion is params._meta's io.modelcontextprotocol/protocolVersion, or "".
func metaVersion(params []byte) string {
	if !bytes.Contains(params, []byte(metaProtocolVersion)) {
		return ""
	}
	meta, ok := gwmcp.Field(params, "_meta")
	if !ok {
		return ""
	}
	v, _ := gwmcp.StringField(meta, metaProtocolVersion)
	return v
}

// check turns a refusal into an error. Transient statuses (429, 500, 502–504) and a
// JSON-RPC error in the body fail the request only; so does any refusal of the era probe
// (server/discover) or of subscriptions/listen, which a legacy server need not know. A
// 404 to a request with the session's id means the server forgot the session; that, and
// any other refusal, fails the connection, as go-sdk's transport did.
func (c *httpConn) check(resp *http.Response, msg jsonrpc.Message) error {
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" && resp.StatusCode/100 == 2 {
		c.mu.Lock()
		had := c.sessionID
		if had == "" {
			c.sessionID = sid
		}
		c.mu.Unlock()
		if had != "" && had != sid {
			return fmt.Errorf("%s: the server changed the session id from %q to %q", what(msg), had, sid)
		}
	}
	if resp.StatusCode/100 == 2 {
		return nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return fmt.Errorf("%s: %s", what(msg), resp.Status)
	}
	// A refusal with a JSON-RPC error in its body is the server's answer to the request.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if m, err := gwmcp.ParseMessage(b); err == nil {
		if r, ok := m.(*jsonrpc.Response); ok && r.Error != nil {
			var we *jsonrpc.Error
			if errors.As(r.Error, &we) {
				return fmt.Errorf("%s: %w (HTTP %s)", what(msg), we, resp.Status)
			}
		}
	}
	if resp.StatusCode == http.StatusNotFound && c.SessionID() != "" {
		err := fmt.Errorf("%s: %s: %w", what(msg), resp.Status, mcp.ErrSessionMissing)
		c.fail(err)
		return err
	}
	err := fmt.Errorf("%s: %s", what(msg), resp.Status)
	if req, _ := msg.(*jsonrpc.Request); req == nil || !req.IsCall() ||
		(req.Method != "server/discover" && req.Method != "subscriptions/listen") {
		c.fail(err)
	}
	return err
}

// readJSON reads a JSON answer: one message or a batch.
func (c *httpConn) readJSON(body io.ReadCloser, call *jsonrpc.Request, link *linkTarget) {
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, int64(c.limit)+1))
	switch {
	case err != nil:
		c.push(c.callError(call, jsonrpc.CodeInternalError, fmt.Sprintf("backend %q: read the answer: %v", c.name, err)))
		return
	case len(b) > c.limit:
		rest, _ := io.Copy(io.Discard, body) // keep the connection for the next request
		c.push(c.unusable(call, gwmcp.CodeResultTooLarge, overLimit(c.name, len(b)+int(rest), c.limit), nil))
		return
	}
	c.deliver(call, link, b)
}

// deliver pushes the message(s) of one JSON body or event of call's POST, and reports
// whether the call's answer was among them. A request or log message is first noted as the
// call's (link), so that dispatch routes it to the call's client. What is not JSON-RPC
// fails the call.
func (c *httpConn) deliver(call *jsonrpc.Request, link *linkTarget, b []byte) (answered bool) {
	// Whether a message answers the call is read before it is handed over: the session
	// owns it from then on.
	m, err := gwmcp.ParseMessage(b)
	if err == nil {
		answered = isAnswer(m, call)
		link.note(m)
		c.push(m)
		return answered
	}
	if gwmcp.IsBatch(b) {
		if msgs, ok := parseBatch(b); ok {
			for _, m := range msgs {
				answered = answered || isAnswer(m, call)
				link.note(m)
				c.push(m)
			}
			return answered
		}
	}
	c.push(c.unusable(call, gwmcp.CodeBadBackendMessage,
		fmt.Sprintf("backend %q answered with a message that is not valid JSON-RPC (%v)", c.name, err), b))
	return true
}

func isAnswer(m jsonrpc.Message, call *jsonrpc.Request) bool {
	r, ok := m.(*jsonrpc.Response)
	return ok && r.ID == call.ID
}

// unusable counts and logs an answer that cannot be used, and returns its call's error.
func (c *httpConn) unusable(call *jsonrpc.Request, code int64, reason string, body []byte) jsonrpc.Message {
	return c.stats.failed(c.log, call.ID, code, reason, body)
}

func (c *httpConn) callError(call *jsonrpc.Request, code int64, msg string) *jsonrpc.Response {
	return &jsonrpc.Response{ID: call.ID, Error: &jsonrpc.Error{Code: code, Message: msg}}
}

// stream reads a call's event stream until the call's response. A stream that breaks first
// is resumed with GET and Last-Event-ID when its events had ids (2025-era resumability), at
// most maxStreamRetries times without progress; otherwise the call fails.
func (c *httpConn) stream(ctx context.Context, resp *http.Response, call *jsonrpc.Request, link *linkTarget) {
	var lastID, progress string
	stalls := 0
	for {
		answered, retry, err := c.events(resp, call, link, &lastID)
		if answered || ctx.Err() != nil || c.isClosed() {
			return
		}
		if lastID == "" {
			reason := fmt.Sprintf("backend %q ended the call's event stream without an answer", c.name)
			if err != nil {
				reason = fmt.Sprintf("backend %q: the call's event stream broke before its answer: %v", c.name, err)
			}
			c.push(c.callError(call, jsonrpc.CodeInternalError, reason))
			return
		}
		if lastID != progress {
			progress, stalls = lastID, 0
		} else if stalls++; stalls > maxStreamRetries {
			c.push(c.callError(call, jsonrpc.CodeInternalError, fmt.Sprintf(
				"backend %q: the call's event stream broke %d times in a row at event %q", c.name, stalls, lastID)))
			return
		}
		if retry <= 0 {
			retry = rand.N(time.Second) + 100*time.Millisecond
		}
		select {
		case <-time.After(retry):
		case <-ctx.Done():
			return
		case <-c.done:
			return
		}
		if resp, err = c.resume(ctx, lastID); err != nil {
			if ctx.Err() == nil {
				c.push(c.callError(call, jsonrpc.CodeInternalError, fmt.Sprintf(
					"backend %q: resume the call's event stream: %v", c.name, err)))
			}
			return
		}
	}
}

// errAnswered stops reading a stream once the call's answer is in.
var errAnswered = errors.New("answered")

// events reads one stream's events until the call's answer, the stream's end or an error.
// retry is the server's reconnection delay, if it sent one.
func (c *httpConn) events(resp *http.Response, call *jsonrpc.Request, link *linkTarget, lastID *string) (answered bool, retry time.Duration, err error) {
	// The stream ends with the call's context, or with the connection: a server that keeps
	// it open after the session stopped holds no goroutine.
	stop := context.AfterFunc(c.ctx, func() { resp.Body.Close() })
	defer func() {
		if stop() {
			drainClose(resp.Body)
		}
	}()
	err = readEvents(resp.Body, c.limit, func(ev sseEvent) error {
		if ev.id != "" {
			*lastID = ev.id
		}
		if ev.retry > 0 {
			retry = ev.retry
		}
		if ev.over > 0 {
			// Whatever it was, the call's stream carried it: the call fails.
			c.push(c.unusable(call, gwmcp.CodeResultTooLarge, overLimit(c.name, ev.over, c.limit), nil))
			return errAnswered
		}
		if len(ev.data) == 0 || (ev.name != "" && ev.name != "message") {
			return nil
		}
		if c.deliver(call, link, ev.data) {
			return errAnswered
		}
		return nil
	})
	if errors.Is(err, errAnswered) {
		return true, 0, nil
	}
	return false, retry, err
}

// resume asks for the rest of a call's stream.
func (c *httpConn) resume(ctx context.Context, lastID string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header["Accept"] = []string{"text/event-stream"}
	req.Header["Last-Event-Id"] = []string{lastID}
	c.setHeaders(req.Header, nil)
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	if mt := mediaType(resp.Header); resp.StatusCode != http.StatusOK || !strings.EqualFold(mt, "text/event-stream") {
		drainClose(resp.Body)
		return nil, fmt.Errorf("GET %s: %s %s", c.url, resp.Status, mt)
	}
	return resp, nil
}

// drainClose reads what is left of a body (a little: it ends the response, so the
// connection serves the next request) and closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	body.Close()
}

// inbox is where an HTTP connection's readers put the server's messages, and Read takes them
// from: every response of a streamable HTTP connection, the one event stream of an SSE one.
type inbox struct {
	incoming chan jsonrpc.Message
	done     chan struct{} // closed by close
	mu       sync.Mutex
	err      error         // why the connection failed
	failed   chan struct{} // closed when err is set
	once     sync.Once
}

func newInbox() inbox {
	return inbox{incoming: make(chan jsonrpc.Message, 16), done: make(chan struct{}), failed: make(chan struct{})}
}

// Read returns the next message, or why there will be none.
func (in *inbox) Read(ctx context.Context) (jsonrpc.Message, error) {
	select {
	case msg := <-in.incoming:
		return msg, nil
	case <-in.failed:
		return nil, in.failure()
	case <-in.done:
		return nil, io.EOF
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// push hands m to Read, or drops it once the connection is closed.
func (in *inbox) push(m jsonrpc.Message) {
	select {
	case in.incoming <- m:
	case <-in.done:
	}
}

func (in *inbox) fail(err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.err == nil {
		in.err = err
		close(in.failed)
	}
}

func (in *inbox) failure() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.err
}

func (in *inbox) close() { in.once.Do(func() { close(in.done) }) }

func (in *inbox) isClosed() bool {
	select {
	case <-in.done:
		return true
	default:
		return false
	}
}
