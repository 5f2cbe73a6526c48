package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	gwmcp "github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
)

// maxStreamRetries is how many GETs in a row may fail before the session counts as lost.
const maxStreamRetries = 3

// headerRoundTripper adds the configured headers to every request, the negotiated
// MCP-Protocol-Version, and the Mcp-Param-* headers a call put in its context. go-sdk sets
// the version header only for sessions driven by its own mcp.Client; at the Connection
// level it has to come from here.
type headerRoundTripper struct {
	base    http.RoundTripper
	headers map[string]string
	version atomic.Pointer[string]
	// unavailable is set when the server (or a proxy before it) answered 502, 503 or 504:
	// the server is not there right now, which says nothing about the era it speaks.
	unavailable atomic.Bool
}

func (h *headerRoundTripper) setVersion(v string) { h.version.Store(&v) }

func (h *headerRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context()) // a RoundTripper must not modify the caller's request
	for k, v := range h.headers {
		req.Header.Set(k, v)
	}
	if v := h.version.Load(); v != nil && *v != "" && req.Header.Get("Mcp-Protocol-Version") == "" {
		req.Header.Set("Mcp-Protocol-Version", *v)
	}
	// A tools/call of a modern session mirrors annotated arguments (paramheaders.go).
	if ph, ok := req.Context().Value(paramHeadersKey{}).([][2]string); ok {
		for _, kv := range ph {
			req.Header[kv[0]] = []string{kv[1]}
		}
	}
	if tc, ok := req.Context().Value(traceHeadersKey{}).([2]string); ok {
		req.Header["Traceparent"] = []string{tc[0]}
		if tc[1] != "" {
			req.Header["Tracestate"] = []string{tc[1]}
		}
	}
	resp, err := h.base.RoundTrip(req)
	if err == nil {
		switch resp.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			h.unavailable.Store(true)
		}
	}
	return resp, err
}

// dialHTTP opens a streamable HTTP (httpconn.go) or SSE (sseconn.go) connection. For SSE, ctx
// must last as long as the connection: the event stream ends with it.
func (b *Backend) dialHTTP(ctx context.Context) (mcp.Connection, *headerRoundTripper, error) {
	hdr := &headerRoundTripper{base: b.httpBase, headers: b.cfg.Headers}
	if b.auth != nil {
		t := &oauth.Transport{Base: b.httpBase, Source: b.auth}
		if b.opts.Authorize != nil {
			t.Authorize = b.opts.Authorize(b.cfg)
		}
		hdr.base = t
	}
	client := &http.Client{Transport: hdr}
	if b.cfg.Transport == TransportSSE {
		conn, err := dialSSE(ctx, b, client)
		if err != nil {
			return nil, nil, err
		}
		return conn, hdr, nil
	}
	// Streamable HTTP. The standalone GET stream is listenStandalone's.
	return newHTTPConn(b, client, hdr), hdr, nil
}

// errNoStream means the server offers no standalone stream, which the spec allows.
var errNoStream = errors.New("server offers no standalone SSE stream")

// listenStandalone keeps the streamable HTTP session's GET stream open, through which the
// server sends what belongs to no request: list changes, resource updates, log messages,
// and server→client requests. It doubles as the liveness check of an HTTP backend: when the
// GET cannot be re-established maxStreamRetries times in a row, the session is lost.
func (s *session) listenStandalone() {
	client := &http.Client{Transport: s.hdr}
	var lastID string
	failures := 0
	for {
		connected, err := s.streamOnce(client, &lastID)
		if s.ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, errNoStream):
			s.b.log.Debug("no standalone stream", "error", err)
			return
		case errors.Is(err, mcp.ErrSessionMissing):
			s.fail(err)
			return
		case connected:
			failures = 0
		default:
			failures++
		}
		if failures > maxStreamRetries {
			s.fail(fmt.Errorf("standalone SSE stream: %w", err))
			return
		}
		// Linear, not exponential: a dead server should be noticed within seconds.
		delay := rand.N(min(s.b.opts.BackoffBase, time.Second)*time.Duration(failures+1)) + 1
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// streamOnce runs one GET of the standalone stream until it ends. connected reports
// whether the server accepted it.
func (s *session) streamOnce(client *http.Client, lastID *string) (connected bool, err error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, s.b.cfg.URL, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if id := s.conn.SessionID(); id != "" {
		req.Header.Set("Mcp-Session-Id", id)
	}
	if *lastID != "" {
		req.Header.Set("Last-Event-Id", *lastID)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	mt := mediaType(resp.Header)
	switch {
	case resp.StatusCode == http.StatusNotFound && s.conn.SessionID() != "":
		return false, fmt.Errorf("GET %s: %w", s.b.cfg.URL, mcp.ErrSessionMissing)
	case resp.StatusCode == http.StatusConflict || resp.StatusCode >= 500:
		return false, fmt.Errorf("GET %s: %s", s.b.cfg.URL, resp.Status)
	case resp.StatusCode != http.StatusOK || !strings.EqualFold(mt, "text/event-stream"):
		return false, fmt.Errorf("GET %s: %s %s: %w", s.b.cfg.URL, resp.Status, mt, errNoStream)
	}
	err = readEvents(resp.Body, s.b.cfg.maxMessageBytes(), func(ev sseEvent) error {
		if ev.id != "" {
			*lastID = ev.id
		}
		msg, err := s.eventMessage(ev, "standalone GET stream")
		if msg != nil {
			s.dispatch(msg)
		}
		return err
	})
	return true, err
}

// eventMessage is the message an event of a stream that answers no call (the standalone GET
// stream, a subscription) carries: nil for an event with none, or one over the size limit,
// which is dropped; an error for one that is not JSON-RPC.
func (s *session) eventMessage(ev sseEvent, stream string) (jsonrpc.Message, error) {
	if ev.over > 0 {
		s.dropTooLarge(ev, stream)
		return nil, nil
	}
	if len(ev.data) == 0 || (ev.name != "" && ev.name != "message") {
		return nil, nil
	}
	msg, err := jsonrpc.DecodeMessage(ev.data)
	if err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	return msg, nil
}

// dropTooLarge logs and counts an event over the size limit on a stream that answers no
// call, and the stream goes on without it.
func (s *session) dropTooLarge(ev sseEvent, stream string) {
	s.b.lines.bad.Add(1)
	args := []any{"stream", stream, "bytes", ev.over, "limit", s.b.cfg.maxMessageBytes()}
	if id, ok := ev.find.ID(); ok {
		args = append(args, "id", id.Raw(), "request", ev.find.IsRequest())
	}
	s.b.lines.logf(s.b.log, "server-sent event over the size limit dropped", args...)
}

// sseEvent is one server-sent event.
type sseEvent struct {
	name, id string
	data     []byte
	retry    time.Duration // the reconnection delay the event sets, 0 if none
	// over, when not 0, is the size of the event, which was over the limit: data is nil, and
	// find has seen the data, so the message's id can be read from it wherever it was.
	over int
	find *gwmcp.IDFinder
}

// readEvents parses a text/event-stream and calls fn for every event, until the stream
// ends (nil) or fails. An event's data may be at most limit bytes; one over it is read
// through without being held (its lines are fed to an IDFinder, field names stripped) and
// handed to fn with over set, so that one answer too large fails its own call, not the
// stream.
func readEvents(r io.Reader, limit int, fn func(sseEvent) error) error {
	er := &eventReader{limit: limit}
	er.lr.init(r, limit+len("data: "), 4<<10) // one per call's stream: a small buffer
	er.feed.er = er
	er.lr.skipTo = er
	return er.run(fn)
}

// eventReader is readEvents' state.
type eventReader struct {
	lr      lineReader
	limit   int
	ev      sseEvent
	data    bytes.Buffer
	hasData bool
	tooBig  bool // the event is over the limit: its data goes to find, not data
	find    gwmcp.IDFinder
	feed    fieldFeed
}

func (er *eventReader) run(fn func(sseEvent) error) error {
	for {
		line, over, err := er.lr.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil // an event without its blank line is dropped
			}
			return err
		}
		if over != nil {
			// A data line over the limit: the event is. Any other field's line that long (a
			// comment, an id) is dropped, as unusable.
			if er.feed.isData() {
				er.ev.over += over.size
				er.hasData = true
			}
			continue
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			if err := er.dispatch(fn); err != nil {
				return err
			}
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			er.ev.name = string(value)
		case "id":
			er.ev.id = string(value)
		case "retry":
			if ms, err := strconv.ParseUint(string(value), 10, 32); err == nil {
				er.ev.retry = time.Duration(ms) * time.Millisecond
			}
		case "data":
			er.addData(value)
		}
	}
}

// dispatch hands on the event a blank line ends, if it has anything, and starts the next.
func (er *eventReader) dispatch(fn func(sseEvent) error) error {
	ev := er.ev
	var err error
	switch {
	case er.tooBig:
		ev.find = &er.find
		err = fn(ev)
	case er.hasData || ev.id != "" || ev.retry > 0:
		ev.data = bytes.Clone(er.data.Bytes())
		err = fn(ev)
	}
	er.ev, er.hasData, er.tooBig = sseEvent{}, false, false
	er.data.Reset()
	return err
}

// addData adds a data line's value to the event, or to the finder once the event is over
// the limit.
func (er *eventReader) addData(value []byte) {
	size := er.data.Len() + len(value)
	if er.hasData {
		size++
	}
	if er.tooBig || size > er.limit {
		er.overflow()
		_, _ = er.find.Write(value)
		er.ev.over += len(value)
	} else {
		if er.hasData {
			er.data.WriteByte('\n')
		}
		er.data.Write(value)
	}
	er.hasData = true
}

// overflow puts the event over the limit (the finder gets the data so far) and starts its
// next data line there.
func (er *eventReader) overflow() {
	if !er.tooBig {
		er.tooBig = true
		er.find.Reset()
		_, _ = er.find.Write(er.data.Bytes())
		er.ev.over = er.data.Len()
		er.data.Reset()
	}
	if er.hasData {
		_, _ = er.find.Write([]byte{'\n'})
		er.ev.over++
	}
}

// skipLine is where the line reader feeds a line over the limit.
func (er *eventReader) skipLine() io.Writer {
	er.feed.reset()
	return &er.feed
}

// fieldFeed passes the value of one "data" line of an event stream to its reader's IDFinder,
// without its field name, once the line's field is known to be data (which puts the event
// over the limit); the value of any other field is dropped.
type fieldFeed struct {
	er    *eventReader
	name  []byte // the field name so far, until its colon
	state byte   // feedName, feedSpace, feedData or feedOther
}

const (
	feedName byte = iota
	feedSpace
	feedData
	feedOther
)

func (f *fieldFeed) reset() { f.name, f.state = f.name[:0], feedName }

// isData reports whether the line is a data line.
func (f *fieldFeed) isData() bool { return f.state == feedSpace || f.state == feedData }

func (f *fieldFeed) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		switch f.state {
		case feedName:
			i := bytes.IndexByte(p, ':')
			if i < 0 {
				f.name = append(f.name, p[:min(len(p), 8)]...)
				if len(f.name) > len("data") {
					f.state = feedOther
				}
				return n, nil
			}
			f.name = append(f.name, p[:min(i, 8)]...)
			p = p[i+1:]
			f.state = feedOther
			if string(f.name) == "data" {
				f.state = feedSpace
				f.er.overflow()
			}
		case feedSpace:
			if p[0] == ' ' {
				p = p[1:]
			}
			f.state = feedData
		case feedData:
			_, _ = f.er.find.Write(bytes.TrimRight(p, "\r\n"))
			return n, nil
		default:
			return n, nil
		}
	}
	return n, nil
}
