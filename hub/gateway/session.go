package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
)

// clientCaps is what a client declared it can answer.
type clientCaps struct {
	Sampling    json.RawMessage `json:"sampling,omitempty"`
	Elicitation json.RawMessage `json:"elicitation,omitempty"`
	Roots       json.RawMessage `json:"roots,omitempty"`

	wire json.RawMessage // the fields above encoded once (seal), forwarded with every call
}

// seal encodes the capabilities once, when the client declares them, rather than on each call.
func (c *clientCaps) seal() {
	c.wire, _ = json.Marshal(c)
}

func (c clientCaps) allows(method string) bool {
	switch method {
	case "sampling/createMessage":
		return c.Sampling != nil
	case "elicitation/create":
		return c.Elicitation != nil
	case "roots/list":
		return c.Roots != nil
	case "ping":
		return true
	}
	return false
}

// canAnswer reports whether the client can answer any server→client request.
func (c clientCaps) canAnswer() bool {
	return c.Sampling != nil || c.Elicitation != nil || c.Roots != nil
}

// session is one client's MCP session (Streamable HTTP or HTTP+SSE).
type session struct {
	id       string
	version  string
	caps     clientCaps
	identity auth.Identity
	key      string // the caller its cap and rate count against (limitKey)
	legacy   bool   // HTTP+SSE: every reply goes on the stream
	// discovery: the session is served the discovery surface (chosen when it started).
	discovery bool
	group     string // the tool group whose endpoint the session lives at ("" for /mcp)

	lastSeen atomic.Int64 // unix nanoseconds
	used     atomic.Bool  // a request after initialize, or a stream: not a flood's leftover
	logLevel atomic.Int32 // index into mcp.LogLevels; messages below it are dropped
	nextID   atomic.Int64

	// stream is the session's standalone SSE stream (GET /mcp or GET /sse), when attached.
	ctx  context.Context // ends with the session
	stop context.CancelFunc

	streamMu sync.Mutex
	stream   chan []byte
	closed   bool

	mu       sync.Mutex
	pending  map[string]chan *jsonrpc.Response // server→client requests awaiting the client
	inflight map[string]context.CancelFunc     // client requests being served, by id
	subs     map[string]bool                   // exposed resource URIs subscribed to
}

func newSession(id auth.Identity, legacy bool) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{
		id: randomID(), identity: id, key: limitKey(id), legacy: legacy, ctx: ctx, stop: cancel,
		pending: map[string]chan *jsonrpc.Response{}, inflight: map[string]context.CancelFunc{},
		subs: map[string]bool{},
	}
	s.touch()
	return s
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *session) touch() { s.lastSeen.Store(time.Now().UnixNano()) }

// attach opens the standalone stream; false if one is already open.
func (s *session) attach() (chan []byte, bool) {
	s.streamMu.Lock()
	defer s.streamMu.Unlock()
	if s.stream != nil || s.closed {
		return nil, false
	}
	s.stream = make(chan []byte, 256)
	s.used.Store(true)
	return s.stream, true
}

func (s *session) detach(ch chan []byte) {
	s.streamMu.Lock()
	if s.stream == ch {
		s.stream = nil
	}
	s.streamMu.Unlock()
	s.touch()
}

// push queues a message on the standalone stream. With wait=false it drops the message when
// no stream is attached or the stream is full (list_changed is idempotent); with wait=true it
// waits for room until ctx ends.
func (s *session) push(ctx context.Context, msg []byte, wait bool) bool {
	s.streamMu.Lock()
	ch := s.stream
	s.streamMu.Unlock()
	if ch == nil {
		return false
	}
	if !wait {
		select {
		case ch <- msg:
			return true
		default:
			return false
		}
	}
	select {
	case ch <- msg:
		return true
	case <-ctx.Done():
		return false
	case <-s.ctx.Done():
		return false
	}
}

func (s *session) hasStream() bool {
	s.streamMu.Lock()
	defer s.streamMu.Unlock()
	return s.stream != nil
}

// close ends the session: cancels its calls and wakes its streams.
func (s *session) close() {
	s.streamMu.Lock()
	if s.closed {
		s.streamMu.Unlock()
		return
	}
	s.closed = true
	s.streamMu.Unlock()
	s.stop() // every call's context derives from the session's or is cancelled with it
	s.mu.Lock()
	for _, cancel := range s.inflight {
		cancel()
	}
	s.mu.Unlock()
}

// begin registers a client request so that notifications/cancelled, and the session's end,
// can cancel it; end (with the key begin returned) removes it again. A session already
// closed cancels the request at once: close cancels what is registered after it stopped
// the session's context, so a request registered later sees that context done here.
func (s *session) begin(id jsonrpc.ID, cancel context.CancelFunc) (key string) {
	key = idKey(id)
	s.mu.Lock()
	s.inflight[key] = cancel
	s.mu.Unlock()
	if s.ctx.Err() != nil {
		cancel()
	}
	return key
}

// end removes a request begin registered.
func (s *session) end(key string) {
	s.mu.Lock()
	delete(s.inflight, key)
	s.mu.Unlock()
}

func (s *session) cancel(id jsonrpc.ID) {
	s.mu.Lock()
	cancel := s.inflight[idKey(id)]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// idKey names a request id in the session's maps: a number as its digits, a string quoted,
// so that 1 and "1" stay apart (the JSON text of the id, without encoding/json's reflection
// on every call).
func idKey(id jsonrpc.ID) string {
	switch v := id.Raw().(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return strconv.Quote(v)
	}
	return "null"
}

// sessions is the table of open sessions, counted per key against the cap.
type sessions struct {
	max      int            // per key; 0: no cap
	onRemove func(*session) // called once a session is removed and closed; may be nil

	mu     sync.RWMutex
	m      map[string]*session
	perKey map[string]int
}

func newSessions(max int) *sessions {
	return &sessions{max: max, m: map[string]*session{}, perKey: map[string]int{}}
}

// add registers s unless its key already holds the maximum of open sessions.
func (t *sessions) add(s *session) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.max > 0 && t.perKey[s.key] >= t.max {
		return false
	}
	t.m[s.id] = s
	t.perKey[s.key]++
	return true
}

// addOrGet registers s like add, or returns the session already registered under its id.
func (t *sessions) addOrGet(s *session) (*session, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.m[s.id]; old != nil {
		return old, true
	}
	if t.max > 0 && t.perKey[s.key] >= t.max {
		return nil, false
	}
	t.m[s.id] = s
	t.perKey[s.key]++
	return s, true
}

func (t *sessions) get(id string) *session {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.m[id]
}

func (t *sessions) remove(id string) {
	t.mu.Lock()
	s := t.m[id]
	if s != nil {
		delete(t.m, id)
		if t.perKey[s.key]--; t.perKey[s.key] <= 0 {
			delete(t.perKey, s.key)
		}
	}
	t.mu.Unlock()
	if s != nil {
		s.close()
		if t.onRemove != nil {
			t.onRemove(s)
		}
	}
}

func (t *sessions) count() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}

func (t *sessions) all() []*session {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]*session, 0, len(t.m))
	for _, s := range t.m {
		out = append(out, s)
	}
	return out
}

// expire ends the sessions without an open stream that were last seen before idle, or,
// never used since initialize, before unused. It returns how many of each it ended.
func (t *sessions) expire(idle, unused time.Time) (idled, unusedN int) {
	for _, s := range t.all() {
		if s.hasStream() {
			continue
		}
		seen := s.lastSeen.Load()
		switch {
		case seen < idle.UnixNano():
			idled++
		case !s.used.Load() && seen < unused.UnixNano():
			unusedN++
		default:
			continue
		}
		t.remove(s.id)
	}
	return idled, unusedN
}

func (t *sessions) closeAll() {
	for _, s := range t.all() {
		t.remove(s.id)
	}
}
