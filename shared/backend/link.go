package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Linking server→client messages to calls over streamable HTTP.
//
// A streamable HTTP server sends what a call causes (sampling, elicitation and roots
// requests in the legacy era, log messages in both) on that call's own POST response
// stream, the only link the wire gives between them. The connection (httpconn.go) merges
// every stream into one Read, so the link is taken on the way: the session's RoundTripper
// wraps the SSE body of each POST made for a call (the call's context says which), and the
// wrapper notes, as the bytes pass to the connection and so before it can hand the message over,
// "request id R belongs to call C" and "a log message with these params belongs to call C".
// dispatch then routes by the note and falls back to routeTarget only for what came
// unlinked (the GET stream, stdio). See docs/DECISIONS.md, "Server→client requests under
// concurrency".

// linkKey carries a call's *linkTarget in the context of the Write that sends it (and so of
// the POST, and of any GET that resumes its stream).
type linkKey struct{}

// maxSniff is how far into an event's data "method" must appear for the event to be read
// as a request or notification. Responses (the bulk of the bytes) are not buffered; a
// message whose method comes later stays unlinked, which only costs the fallback.
const maxSniff = 512

// linkResponse wraps resp's body when req is a POST made for a call and the answer is an
// event stream.
func linkResponse(req *http.Request, resp *http.Response) {
	p, ok := req.Context().Value(linkKey{}).(*linkTarget)
	if !ok || resp == nil || resp.Body == nil {
		return
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mediaType != "text/event-stream" {
		return
	}
	resp.Body = &linkBody{ReadCloser: resp.Body, to: p}
}

// linkTarget is what a linked stream reports to: the call and its session.
type linkTarget struct {
	s *session
	p *pending
}

// withLink returns ctx marked for linking when s can use it: streamable HTTP (a modern
// server sends no requests, but its log messages come on the call's stream too), and a call
// with a client to answer.
func (s *session) withLink(ctx context.Context, p *pending) context.Context {
	if s.hdr == nil || s.b.cfg.Transport == TransportSSE || p.sink == nil {
		return ctx
	}
	return context.WithValue(ctx, linkKey{}, &linkTarget{s: s, p: p})
}

// linkBody passes an SSE body through and parses its lines on the way. Only the first
// maxSniff bytes of an event are kept unless they show a "method": a result streamed back
// costs a scan, not a copy.
type linkBody struct {
	io.ReadCloser
	to      *linkTarget
	line    []byte // the current line as far as kept
	lineLen int    // its full length
	data    []byte // data of the current event
	found   bool   // "method" seen in the current event
	skip    bool   // the current event is not a request or notification, or too large
}

// methodKey is what marks an event as a request or notification.
const methodKey = `"method"`

func (b *linkBody) Read(buf []byte) (int, error) {
	n, err := b.ReadCloser.Read(buf)
	b.feed(buf[:n])
	if err == io.EOF {
		// A reader may still dispatch an event the stream ended without a blank line after.
		b.feed([]byte("\n\n"))
	}
	return n, err
}

// feed consumes bytes of the stream.
func (b *linkBody) feed(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			b.appendLine(p)
			return
		}
		b.appendLine(p[:i])
		b.endLine()
		p = p[i+1:]
	}
}

func (b *linkBody) appendLine(p []byte) {
	b.lineLen += len(p)
	if !b.skip && !b.found {
		// Until "method" shows, keep no more than the event's first maxSniff bytes (the
		// window, however the reads cut them): a streamed result costs a scan, not a copy.
		head := p[:min(len(p), max(0, maxSniff-len(b.data)-len(b.line)))]
		b.line = append(b.line, head...)
		switch {
		case bytes.Contains(b.line, []byte(methodKey)):
			b.found = true
			p = p[len(head):]
		case len(head) < len(p) || len(b.data)+len(b.line) >= maxSniff:
			b.skip = true
		default:
			return
		}
	}
	if !b.skip {
		b.line = append(b.line, p...)
		b.skip = len(b.data)+len(b.line) > maxEventSize
	}
	if b.skip {
		// Keep two bytes: enough to tell a blank line ("" or "\r") from any other.
		if len(b.line) < 2 {
			b.line = append(b.line, p[:min(len(p), 2-len(b.line))]...)
		}
		b.line, b.data = b.line[:min(len(b.line), 2)], b.data[:0]
	}
}

func (b *linkBody) endLine() {
	blank := b.lineLen == 0 || (b.lineLen == 1 && b.line[0] == '\r')
	line := bytes.TrimSuffix(b.line, []byte("\r"))
	b.line, b.lineLen = b.line[:0], 0
	switch {
	case blank:
		if !b.skip && b.found {
			b.to.s.noteLinked(b.data, b.to.p)
		}
		b.data, b.skip, b.found = b.data[:0], false, false
	case b.skip:
	case bytes.HasPrefix(line, []byte("data:")):
		// Trimmed as go-sdk's reader trims it, so a log message's params are the same bytes.
		value := bytes.TrimSpace(line[len("data:"):])
		if len(b.data) > 0 {
			b.data = append(b.data, '\n')
		}
		b.data = append(b.data, value...)
	}
}

// linkedMsg is the part of a message a link needs.
type linkedMsg struct {
	ID     any             `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// noteLinked records that the message in data, read from p's stream, belongs to p.
func (s *session) noteLinked(data []byte, p *pending) {
	if !bytes.Contains(data, []byte(methodKey)) {
		return
	}
	var m linkedMsg
	if json.Unmarshal(data, &m) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case m.ID != nil && isClientRequest(m.Method):
		if id, err := jsonrpc.MakeID(m.ID); err == nil {
			s.linkedReqs[id] = p
		}
	case m.ID == nil && m.Method == "notifications/message":
		k := string(m.Params)
		s.linkedLogs[k] = append(s.linkedLogs[k], p)
	}
}

// linkedRequest returns, and forgets, the call whose stream carried the request id.
func (s *session) linkedRequest(id jsonrpc.ID) *pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.linkedReqs[id]
	delete(s.linkedReqs, id)
	return p
}

// linkedLog returns, and forgets, the call whose stream carried a log message with these
// params. Equal messages of several calls are handed out in the order they were read: they
// are the same bytes, so which of those calls gets which copy tells no one anything new.
func (s *session) linkedLog(params json.RawMessage) *pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := string(params)
	q := s.linkedLogs[k]
	if len(q) == 0 {
		return nil
	}
	p := q[0]
	if len(q) == 1 {
		delete(s.linkedLogs, k)
	} else {
		s.linkedLogs[k] = q[1:]
	}
	return p
}

// isClientRequest reports whether method is a server→client request the hub relays.
func isClientRequest(method string) bool {
	switch method {
	case "sampling/createMessage", "elicitation/create", "roots/list":
		return true
	}
	return false
}
