package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	gwmcp "github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// stdioConn is the connection to a stdio server: newline-framed JSON-RPC on its stdin and
// stdout, each line parsed once with the raw scanner of shared/mcp; params and results stay
// raw bytes. A line that is over the size limit or not JSON-RPC fails only the call it
// answers (when its id can be found), never the connection.
type stdioConn struct {
	name  string // the backend's, for errors
	log   *slog.Logger
	proc  *process
	stats *lineStats

	lines *lineReader // used by the one reader only
	queue []jsonrpc.Message

	wmu  sync.Mutex
	w    *os.File
	wbuf []byte
	werr error // a write was cut short: the framing is lost
}

var _ mcp.Connection = (*stdioConn)(nil)

// lineStats counts what a backend's servers wrote that could not be used.
type lineStats struct {
	bad      atomic.Int64 // lines that are not JSON-RPC, or over the limit
	orphaned atomic.Int64 // of those, the ones whose call could not be found
	logMu    sync.Mutex
	window   time.Time // start of the current logging window
	logged   int       // lines logged in it
}

const (
	badLogWindow = 10 * time.Second // at most badLogBurst bad lines are logged per window
	badLogBurst  = 5
	badLogCut    = 300 // bytes of a bad line shown in the log
)

func newStdioConn(name string, log *slog.Logger, p *process, limit int, stats *lineStats) *stdioConn {
	return &stdioConn{name: name, log: log, proc: p, stats: stats, w: p.stdin,
		lines: newLineReader(p.stdout, limit)}
}

// Read returns the next message from the server. Lines it cannot use are answered to
// their call as errors, or logged and counted, and reading goes on.
func (c *stdioConn) Read(context.Context) (jsonrpc.Message, error) {
	for {
		if len(c.queue) > 0 {
			m := c.queue[0]
			c.queue[0], c.queue = nil, c.queue[1:]
			return m, nil
		}
		line, over, err := c.lines.next()
		if err != nil {
			return nil, c.readErr(err)
		}
		if over != nil {
			if m := c.tooLarge(over); m != nil {
				return m, nil
			}
			continue
		}
		if m := c.decode(line); m != nil {
			return m, nil
		}
	}
}

// readErr ends reading. Once the leader has exited, the pipe closed under the reader
// (or its end) is the server's exit: io.EOF, which the supervisor reports as such.
func (c *stdioConn) readErr(err error) error {
	c.proc.readEnded()
	if errors.Is(err, io.EOF) || c.proc.hasExited() {
		return io.EOF
	}
	return err
}

// decode parses one line; nil means nothing to dispatch.
func (c *stdioConn) decode(line []byte) jsonrpc.Message {
	msg, err := gwmcp.ParseMessage(line)
	if err == nil {
		return msg
	}
	if blank(line) {
		return nil
	}
	if gwmcp.IsBatch(line) {
		if msgs, ok := parseBatch(line); ok {
			c.queue = append(c.queue, msgs...)
			return nil
		}
	}
	var f gwmcp.IDFinder
	_, _ = f.Write(line)
	reason := fmt.Sprintf("backend %q answered with a line that is not valid JSON-RPC (%v)", c.name, err)
	return c.unusable(&f, gwmcp.CodeBadBackendMessage, reason, line)
}

// tooLarge answers the call whose result was over the limit.
func (c *stdioConn) tooLarge(o *oversize) jsonrpc.Message {
	return c.unusable(o.find, gwmcp.CodeResultTooLarge, overLimit(c.name, o.size, c.lines.limit), nil)
}

// overLimit is the error of a call whose answer, of size bytes, was over the backend's limit.
func overLimit(backend string, size, limit int) string {
	return fmt.Sprintf("backend %q sent a message of %d bytes, over its limit of %d bytes "+
		"(setting max_message_bytes)", backend, size, limit)
}

// unusable turns a line that cannot be used into an error response for its call, when the
// line names one; otherwise it is logged and counted, and nil is returned.
func (c *stdioConn) unusable(f *gwmcp.IDFinder, code int64, reason string, line []byte) jsonrpc.Message {
	return c.stats.unusable(c.log, f, code, reason, line)
}

// unusable counts a message that cannot be used and turns it into an error response for
// its call, when f found one in it; otherwise it is logged, and nil is returned.
func (s *lineStats) unusable(log *slog.Logger, f *gwmcp.IDFinder, code int64, reason string, line []byte) jsonrpc.Message {
	if id, ok := f.ID(); ok && !f.IsRequest() {
		return s.failed(log, id, code, reason, line)
	}
	// A request from the server, or a line that names no call: nothing waits for it.
	s.bad.Add(1)
	s.orphaned.Add(1)
	s.logf(log, "unusable line from the server, skipped", badArgs(reason, line)...)
	return nil
}

// failed counts and logs an answer that cannot be used, and returns the error its call gets.
func (s *lineStats) failed(log *slog.Logger, id jsonrpc.ID, code int64, reason string, line []byte) *jsonrpc.Response {
	s.bad.Add(1)
	s.logf(log, "unusable answer from the server; its call fails", append(badArgs(reason, line), "id", id.Raw())...)
	return &jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: code, Message: reason}}
}

func badArgs(reason string, line []byte) []any {
	if line == nil {
		return []any{"reason", reason}
	}
	return []any{"reason", reason, "line", cut(line)}
}

// logf logs at most badLogBurst lines per badLogWindow, so that a server printing garbage
// cannot flood the log.
func (s *lineStats) logf(log *slog.Logger, msg string, args ...any) {
	s.logMu.Lock()
	now := time.Now()
	if now.Sub(s.window) >= badLogWindow {
		s.window, s.logged = now, 0
	}
	s.logged++
	ok := s.logged <= badLogBurst
	s.logMu.Unlock()
	if ok {
		log.Warn(msg, append(args, "unusable_lines_total", s.bad.Load())...)
	}
}

func cut(line []byte) string {
	if len(line) > badLogCut {
		return string(line[:badLogCut]) + "…(cut)"
	}
	return string(line)
}

func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// parseBatch parses a JSON-RPC batch (allowed in 2025-03-26); ok is false if any element
// is not a message.
func parseBatch(line []byte) ([]jsonrpc.Message, bool) {
	parts, err := gwmcp.SplitBatch(line)
	if err != nil {
		return nil, false
	}
	msgs := make([]jsonrpc.Message, 0, len(parts))
	for _, p := range parts {
		m, err := gwmcp.ParseMessage(p)
		if err != nil {
			return nil, false
		}
		msgs = append(msgs, m)
	}
	return msgs, true
}

// Write sends one message as one line, in one write under the lock, so that messages of
// concurrent callers never interleave. A deadline on ctx bounds a server that stopped
// reading its stdin.
func (c *stdioConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	var err error
	c.wbuf, err = appendMessage(c.wbuf[:0], msg)
	if err != nil {
		return fmt.Errorf("backend %q: encode: %w", c.name, err)
	}
	c.wbuf = append(c.wbuf, '\n')
	if dl, ok := ctx.Deadline(); ok {
		_ = c.w.SetWriteDeadline(dl) // not every platform's pipes have deadlines
		defer func() { _ = c.w.SetWriteDeadline(time.Time{}) }()
	}
	n, err := c.w.Write(c.wbuf)
	if cap(c.wbuf) > retainBufSize {
		c.wbuf = nil
	}
	if err == nil {
		return nil
	}
	err = fmt.Errorf("backend %q: write to stdin: %w", c.name, err)
	if n > 0 {
		// Half a line is on the pipe: nothing written after it could be read. Closing stdin
		// tells the server; most exit, and the supervisor restarts them.
		c.werr = err
		_ = c.w.Close()
	}
	return err
}

// Close closes both pipes, which ends a Read in progress.
func (c *stdioConn) Close() error {
	c.proc.closePipes()
	return nil
}

// SessionID is empty: stdio has no session id.
func (c *stdioConn) SessionID() string { return "" }
