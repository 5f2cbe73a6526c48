package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	gwmcp "github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// errStopped is the failure of a session that the supervisor ended on purpose.
var errStopped = errors.New("stopped")

// Timeouts of the session's own traffic.
const (
	relistTimeout = 60 * time.Second
	writeTimeout  = 30 * time.Second // replies to the server and notifications/cancelled
)

// session is one connection to the server: one process for stdio, one MCP session for HTTP.
// Its reader goroutine dispatches everything the server sends; the supervisor owns it and
// ends it with shutdown.
type session struct {
	b      *Backend
	conn   mcp.Connection
	proc   *process            // stdio only
	hdr    *headerRoundTripper // http and sse only
	ctx    context.Context     // ends at shutdown
	cancel context.CancelFunc

	// Set by the handshake, read-only once the session is ready.
	modern  bool       // the server speaks the stateless era (2026-07-28)
	logging bool       // the server declares logging
	listen  *listening // modern: what the subscriptions/listen stream asks for

	// params indexes the Mcp-Param-* annotations of the tools last listed (modern HTTP
	// sessions only; see paramheaders.go).
	params atomic.Pointer[paramIndex]

	done    chan struct{} // closed by fail: the connection is unusable
	failErr error         // why; written once before done is closed

	mu         sync.Mutex
	closing    bool // no new goroutines once set
	wg         sync.WaitGroup
	calls      map[jsonrpc.ID]*pending
	tokens     map[string]*pending // internal progress token (JSON text) → call
	serverReqs map[jsonrpc.ID]context.CancelFunc
	linkedReqs map[jsonrpc.ID]*pending // server→client request id → the call whose stream carried it (link.go)
	linkedLogs map[string][]*pending   // log message params → the calls whose streams carried them
	relistMask kind
	relistCh   chan struct{}
	failOnce   sync.Once
}

// pending is one call waiting for its response.
type pending struct {
	ctx       context.Context
	n         int64 // internal id; larger means started later
	id        jsonrpc.ID
	sink      Sink
	owner     string          // Call.Owner
	token     string          // internal progress token, "" if the call has none
	origToken json.RawMessage // the caller's progress token, exactly as sent
	resp      chan *jsonrpc.Response
	notes     notes // notifications on their way to sink
}

func newSession(b *Backend, parent context.Context) *session {
	ctx, cancel := context.WithCancel(parent)
	return &session{
		b: b, ctx: ctx, cancel: cancel,
		done:       make(chan struct{}),
		calls:      make(map[jsonrpc.ID]*pending),
		tokens:     make(map[string]*pending),
		serverReqs: make(map[jsonrpc.ID]context.CancelFunc),
		linkedReqs: make(map[jsonrpc.ID]*pending),
		linkedLogs: make(map[string][]*pending),
		relistCh:   make(chan struct{}, 1),
	}
}

// spawn runs f on a goroutine the session waits for at shutdown. It returns false, without
// running f, once shutdown has begun.
func (s *session) spawn(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// fail marks the connection unusable: new calls get ErrNotReady and every call in flight
// fails at once with ErrGone.
func (s *session) fail(err error) {
	s.failOnce.Do(func() {
		s.b.sess.CompareAndSwap(s, nil)
		s.failErr = err
		close(s.done)
	})
}

// goneErr is what a call in flight returns when the connection ends under it.
func (s *session) goneErr() error {
	what := "connection lost"
	switch {
	case errors.Is(s.failErr, errStopped):
		what = "stopped"
	case s.proc != nil:
		what = "exited"
	}
	return &stateError{sentinel: ErrGone, cause: s.failErr,
		msg: fmt.Sprintf("backend %q %s during the call", s.b.cfg.Name, what)}
}

// do sends the call in the session's era.
func (s *session) do(ctx context.Context, c *Call) (*jsonrpc.Response, error) {
	if s.modern {
		return s.callModern(ctx, c)
	}
	if c.ClientCapabilities != nil && c.Request.IsCall() {
		// The session was initialized with the hub's capabilities, on behalf of every client;
		// the call carries its own client's in _meta (the key of 2026-07-28, which a server
		// that knows it reads before the session's, and any other ignores), so the server
		// does not ask a client for what it cannot do, and refuses what needs it.
		params := c.Request.Params
		if len(params) == 0 || string(params) == "null" {
			params = json.RawMessage(`{}`)
		}
		if p, err := gwmcp.SetMeta(params, metaClientCapabilities, c.ClientCapabilities); err == nil {
			withCaps := *c
			withCaps.Request = &jsonrpc.Request{ID: c.Request.ID, Method: c.Request.Method, Params: p}
			c = &withCaps
		}
	}
	return s.call(ctx, c)
}

// readLoop is the connection's one reader.
func (s *session) readLoop() {
	for {
		msg, err := s.conn.Read(s.ctx)
		if err != nil {
			s.fail(fmt.Errorf("read: %w", err))
			return
		}
		s.dispatch(msg)
	}
}

func (s *session) dispatch(msg jsonrpc.Message) {
	switch m := msg.(type) {
	case *jsonrpc.Response:
		s.deliver(m)
	case *jsonrpc.Request:
		if m.IsCall() {
			s.serverRequest(m)
		} else {
			s.notification(m)
		}
	}
}

func (s *session) deliver(resp *jsonrpc.Response) {
	s.mu.Lock()
	p := s.calls[resp.ID]
	if p != nil {
		s.removeLocked(p)
	}
	s.mu.Unlock()
	if p == nil {
		s.b.strays.Add(1)
		s.b.log.Debug("response matches no call in flight", "id", resp.ID.Raw())
		return
	}
	p.resp <- resp // buffered; each call gets at most one response
}

func (s *session) register(p *pending) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return s.b.notReady()
	default:
	}
	s.calls[p.id] = p
	if p.token != "" {
		s.tokens[p.token] = p
	}
	return nil
}

func (s *session) unregister(p *pending) {
	s.mu.Lock()
	s.removeLocked(p)
	s.mu.Unlock()
}

func (s *session) removeLocked(p *pending) {
	delete(s.calls, p.id)
	if p.token != "" {
		delete(s.tokens, p.token)
	}
}

// errAmbiguous means calls of several clients are in flight, so a server→client request or
// log message cannot be given to one of them without risking another client's data.
var errAmbiguous = errors.New("calls of several clients are in flight")

// routeTarget picks the call that gets a server→client request or a log message that came
// unlinked (over stdio in the legacy era, on the GET stream, over HTTP+SSE; what came on a
// call's own POST stream is routed by link.go): with one call in flight, that call; with
// several, the most recent one only when all of them serve the same client (same Owner);
// otherwise none, and errAmbiguous — never a guess that could hand one client's prompt or
// data to another.
func (s *session) routeTarget() (*pending, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *pending
	owner, shared := "", true
	for _, p := range s.calls {
		if p.sink == nil {
			continue
		}
		o := p.owner
		if best == nil {
			owner = o
		} else if o == "" || o != owner {
			shared = false
		}
		if best == nil || p.n > best.n {
			best = p
		}
	}
	if best != nil && !shared {
		return nil, errAmbiguous
	}
	return best, nil
}

// shutdown ends the session: calls in flight fail, the server is stopped (for stdio the
// whole process group is killed) and every goroutine of the session has returned. It
// returns the server's exit error for stdio.
func (s *session) shutdown() error {
	s.fail(errStopped)
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.cancel()
	var err error
	if s.proc != nil {
		err = s.proc.stop()
	} else if s.conn != nil {
		err = s.conn.Close()
	}
	s.wg.Wait()
	return err
}
