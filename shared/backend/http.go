package backend

import (
	"bufio"
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

	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
)

const (
	maxEventSize     = 16 << 20 // one server-sent event
	maxStreamRetries = 3        // failed GETs in a row before the session counts as lost
)

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
	err = readEvents(resp.Body, maxEventSize, func(ev sseEvent) error {
		if ev.id != "" {
			*lastID = ev.id
		}
		if len(ev.data) == 0 || (ev.name != "" && ev.name != "message") {
			return nil
		}
		msg, err := jsonrpc.DecodeMessage(ev.data)
		if err != nil {
			return fmt.Errorf("decode event: %w", err)
		}
		s.dispatch(msg)
		return nil
	})
	return true, err
}

// sseEvent is one server-sent event.
type sseEvent struct {
	name, id string
	data     []byte
	retry    time.Duration // the reconnection delay the event sets, 0 if none
}

// errEventTooLarge is readEvents' error for an event over its limit.
var errEventTooLarge = errors.New("server-sent event over the size limit")

// readEvents parses a text/event-stream and calls fn for every event, until the stream
// ends (nil) or fails. An event's data may be at most limit bytes.
func readEvents(r io.Reader, limit int, fn func(sseEvent) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4<<10), limit+64) // a line is "data: " and the data
	var ev sseEvent
	var data bytes.Buffer
	hasData := false
	for sc.Scan() {
		line := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if len(line) == 0 {
			if hasData || ev.id != "" || ev.retry > 0 {
				ev.data = bytes.Clone(data.Bytes())
				if err := fn(ev); err != nil {
					return err
				}
			}
			ev, hasData = sseEvent{}, false
			data.Reset()
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.name = string(value)
		case "id":
			ev.id = string(value)
		case "retry":
			if ms, err := strconv.ParseUint(string(value), 10, 32); err == nil {
				ev.retry = time.Duration(ms) * time.Millisecond
			}
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			if data.Len()+len(value) > limit {
				return errEventTooLarge
			}
			data.Write(value)
			hasData = true
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return errEventTooLarge
	}
	return sc.Err()
}
