package backend

import (
	"bufio"
	"errors"
	"io"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

const (
	// DefaultMaxMessageBytes is the largest message a stdio server may send when its
	// configuration does not say (Config.MaxMessageBytes).
	DefaultMaxMessageBytes = 16 << 20
	readBufSize            = 64 << 10 // most messages fit: they are parsed where they lie
	retainBufSize          = 1 << 20  // a line buffer grown past this is dropped after use
)

// lineReader splits a stdio server's output into newline-framed messages. A line over the
// limit is never held whole: it is read through, and only its size and what an IDFinder
// sees in it are kept, so that the one call it answers can fail alone.
type lineReader struct {
	r       *bufio.Reader
	limit   int
	buf     []byte // a line longer than r's buffer, assembled
	find    mcp.IDFinder
	lastErr error // the end of input, reported after the last line that had no newline
	// skipTo, when set, is asked at the start of each line over the limit what to feed that
	// line to instead of find (the event stream's reader strips field names).
	skipTo interface{ skipLine() io.Writer }
}

// oversize describes a line over the limit.
type oversize struct {
	size int // bytes, without the newline
	find *mcp.IDFinder
}

func newLineReader(r io.Reader, limit int) *lineReader {
	lr := new(lineReader)
	lr.init(r, limit, readBufSize)
	return lr
}

// init readies lr to read r through a buffer of size bytes; longer lines are assembled.
func (lr *lineReader) init(r io.Reader, limit, size int) {
	*lr = lineReader{r: bufio.NewReaderSize(r, size), limit: limit}
}

// next returns the next line without its line end, or a description of it when it is over
// the limit. The line is valid until the next call.
func (lr *lineReader) next() ([]byte, *oversize, error) {
	if lr.lastErr != nil {
		return nil, nil, lr.lastErr
	}
	if cap(lr.buf) > retainBufSize {
		lr.buf = nil // the long line it held has been used
	}
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.r.ReadSlice('\n')
		complete := err == nil
		if !complete && !errors.Is(err, bufio.ErrBufferFull) {
			if len(lr.buf)+len(chunk) == 0 {
				return nil, nil, err
			}
			lr.lastErr, complete = err, true // the last line had no newline
		}
		size := len(lr.buf) + len(chunk)
		if complete && len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			size--
		}
		if size > lr.limit {
			return nil, lr.skip(chunk, complete), nil
		}
		if complete && len(lr.buf) == 0 {
			return trimEOL(chunk), nil, nil // the common case: no copy
		}
		lr.buf = append(lr.grow(len(chunk)), chunk...)
		if complete {
			return trimEOL(lr.buf), nil, nil
		}
	}
}

// skip reads through the rest of a line over the limit, feeding it to the id finder (or to
// what skipTo gives).
func (lr *lineReader) skip(chunk []byte, complete bool) *oversize {
	var w io.Writer = &lr.find
	if lr.skipTo != nil {
		w = lr.skipTo.skipLine()
	} else {
		lr.find.Reset()
	}
	_, _ = w.Write(lr.buf)
	_, _ = w.Write(chunk)
	size := len(lr.buf) + len(chunk)
	lr.buf = lr.buf[:0]
	for !complete {
		var err error
		chunk, err = lr.r.ReadSlice('\n')
		_, _ = w.Write(chunk)
		size += len(chunk)
		if complete = err == nil; err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			lr.lastErr, complete = err, true
		}
	}
	if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
		size--
	}
	return &oversize{size: size, find: &lr.find}
}

// grow makes room for n more bytes in the line buffer, doubling (append grows large
// slices by only a quarter, which would allocate five times the limit on the way to it).
func (lr *lineReader) grow(n int) []byte {
	if len(lr.buf)+n <= cap(lr.buf) {
		return lr.buf
	}
	c := max(2*cap(lr.buf), len(lr.buf)+n, readBufSize)
	c = min(c, lr.limit+1) // +1: the newline
	buf := make([]byte, len(lr.buf), max(c, len(lr.buf)+n))
	copy(buf, lr.buf)
	return buf
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}
