package gateway

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// emitter carries the messages tied to one client request (progress, log messages,
// server→client requests) to the client while the request is being served.
type emitter interface {
	emit(ctx context.Context, msg []byte) error
}

// writeTimeout bounds one SSE write to a client.
const writeTimeout = 30 * time.Second

var errReplyDone = errors.New("gateway: the reply was already sent")

// postReply answers one POST. It stays plain JSON unless a message must reach the client
// before the result; then it switches to an SSE stream. Safe for concurrent use.
type postReply struct {
	w      http.ResponseWriter
	canSSE bool
	sess   *session // fallback stream when the client does not accept SSE

	mu   sync.Mutex
	sse  bool
	done bool
}

func newPostReply(w http.ResponseWriter, r *http.Request, s *session) *postReply {
	return &postReply{w: w, canSSE: accepts(r, "text/event-stream"), sess: s}
}

func (p *postReply) emit(ctx context.Context, msg []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return errReplyDone
	}
	if !p.canSSE {
		// A JSON-only client can still get messages on its GET stream, if it holds one.
		if p.sess != nil && p.sess.push(ctx, msg, true) {
			return nil
		}
		return errors.New("gateway: the client accepts no SSE and has no open stream")
	}
	if !p.sse {
		startSSE(p.w)
		p.sse = true
	}
	return writeEvent(p.w, msg)
}

// finish writes the final response and ends the reply.
func (p *postReply) finish(resp *jsonrpc.Response) { p.finishEncoded(resp, http.StatusOK) }

// respond ends a stateless request's reply with resp: as plain JSON with modernStatus,
// unless the reply already streams.
func (p *postReply) respond(resp *jsonrpc.Response) { p.finishEncoded(resp, modernStatus(resp)) }

// replyBufs hold the encoding of a POST's final response: finishStatus's writes copy it (into
// net/http's buffer, the connection or an SSE event) before they return, so the buffer is
// free for the next reply then, and a large result is not a fresh allocation per call.
var replyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledReply: a buffer grown past it goes to the GC, not back to replyBufs.
const maxPooledReply = 1 << 20

// finishEncoded encodes resp into a buffer of replyBufs and ends the reply with it.
func (p *postReply) finishEncoded(resp *jsonrpc.Response, status int) {
	bp := replyBufs.Get().(*[]byte)
	b, err := mcp.AppendResponse((*bp)[:0], resp)
	if err != nil {
		replyBufs.Put(bp)
		p.finishStatus(encode(resp), status) // encode's fallback error reply
		return
	}
	p.finishStatus(b, status)
	if cap(b) <= maxPooledReply {
		*bp = b[:0]
		replyBufs.Put(bp)
	}
}

// finishStatus writes the final response, with the given HTTP status when the reply is
// still plain JSON, and ends the reply.
func (p *postReply) finishStatus(msg []byte, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true
	if p.sse {
		_ = writeEvent(p.w, msg)
		return
	}
	writeJSONBody(p.w, status, msg)
}

// streamEmitter sends on the session's standalone stream (HTTP+SSE sessions).
type streamEmitter struct{ s *session }

func (e streamEmitter) emit(ctx context.Context, msg []byte) error {
	if !e.s.push(ctx, msg, true) {
		return errors.New("gateway: the session's stream is closed")
	}
	return nil
}

func startSSE(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	flush(w)
}

// writeEvent writes one SSE event. Raw results may hold line ends (JSON whitespace: LF,
// CRLF or a lone CR), and an SSE line ends at any of them: each line gets its own "data:"
// field, which the client joins with newlines again.
func writeEvent(w http.ResponseWriter, msg []byte) error {
	b := make([]byte, 0, len(msg)+32)
	b = append(b, "event: message\n"...)
	for {
		i := bytes.IndexAny(msg, "\r\n")
		if i < 0 {
			b = append(append(append(b, "data: "...), msg...), '\n')
			break
		}
		b = append(append(append(b, "data: "...), msg[:i]...), '\n')
		if msg[i] == '\r' && i+1 < len(msg) && msg[i+1] == '\n' {
			i++
		}
		msg = msg[i+1:]
	}
	// A client that stops reading fails this write after a while instead of holding the
	// call (and the goroutine) forever.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := w.Write(append(b, '\n')); err != nil {
		return err
	}
	flush(w)
	return nil
}

func flush(w http.ResponseWriter) {
	_ = http.NewResponseController(w).Flush()
}

// pump copies a session's stream to w until the client leaves or the session ends.
func pump(ctx context.Context, w http.ResponseWriter, s *session, ch chan []byte, keepAlive time.Duration) {
	t := time.NewTicker(keepAlive)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.ctx.Done():
			return
		case msg := <-ch:
			if writeEvent(w, msg) != nil {
				return
			}
		case <-t.C:
			if writeKeepAlive(w) != nil {
				return
			}
		}
	}
}

// writeKeepAlive writes an SSE comment, so proxies and clients see the stream is alive.
func writeKeepAlive(w http.ResponseWriter) error {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
		return err
	}
	flush(w)
	return nil
}

// accepts reports whether the Accept header lists the media type (or a wildcard for it).
// It runs on every POST: it walks the values in place instead of splitting them.
func accepts(r *http.Request, mediaType string) bool {
	major, _, _ := strings.Cut(mediaType, "/")
	for _, v := range r.Header["Accept"] {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			mt, _, _ := strings.Cut(part, ";")
			mt = strings.TrimSpace(mt)
			if mt == mediaType || mt == "*/*" || (len(mt) == len(major)+2 && mt[len(major):] == "/*" && mt[:len(major)] == major) {
				return true
			}
		}
	}
	return false
}
