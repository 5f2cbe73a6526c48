package tunnel

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/hashicorp/yamux"
)

// ErrStreamWriteTimeout is wrapped by WriteStream's error when the write timed out and the
// session was therefore closed.
var ErrStreamWriteTimeout = errors.New("tunnel: stream write timed out; session closed")

// Stream is a call stream: a yamux stream or a direct stream (*DirectStream).
type Stream interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
	StreamID() uint32
}

var (
	_ Stream = (*yamux.Stream)(nil)
	_ Stream = (*DirectStream)(nil)
)

// WriteStream writes all of b to s, giving up after timeout (no limit if timeout <= 0). If the
// write times out, it closes s's whole session: after a yamux write timeout the frame may still
// be queued and sent later, so neither side knows which bytes the stream carries, and a peer
// waiting for them would hang (yamux advisory GHSA-29qp-crvh-w22m); a direct stream's write
// may have sent part of b. Other streams on the session fail at once too, which is the point:
// a tunnel too stuck to take a write is treated as dead.
func WriteStream(s Stream, b []byte, timeout time.Duration) error {
	_, err := TimeoutWriter{Stream: s, Timeout: timeout}.Write(b)
	return err
}

// TimeoutWriter is an io.Writer over a stream with WriteStream's rule: each Write must
// finish within Timeout, or the stream's tunnel is closed.
type TimeoutWriter struct {
	Stream  Stream
	Timeout time.Duration
}

// Write writes p within w.Timeout.
func (w TimeoutWriter) Write(p []byte) (int, error) {
	if w.Timeout > 0 {
		if err := w.Stream.SetWriteDeadline(time.Now().Add(w.Timeout)); err != nil {
			return 0, fmt.Errorf("tunnel: set stream write deadline: %w", err)
		}
		defer func() { _ = w.Stream.SetWriteDeadline(time.Time{}) }()
	}
	n, err := w.Stream.Write(p)
	if err == nil {
		return n, nil
	}
	if isTimeout(err) {
		closeTunnel(w.Stream)
		return n, fmt.Errorf("%w (stream %d, %d of %d bytes written, limit %s): %w",
			ErrStreamWriteTimeout, w.Stream.StreamID(), n, len(p), w.Timeout, err)
	}
	return n, fmt.Errorf("tunnel: stream %d write: %w", w.Stream.StreamID(), err)
}

// closeTunnel closes the tunnel s runs in.
func closeTunnel(s Stream) {
	switch s := s.(type) {
	case *yamux.Stream:
		_ = s.Session().Close()
	case *DirectStream:
		_ = s.closeTunnel()
	default:
		_ = s.Close()
	}
}

// isTimeout reports yamux's deadline error and its connection write "safety valve" alike.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, yamux.ErrConnectionWriteTimeout) ||
		errors.Is(err, yamux.ErrTimeout) || (errors.As(err, &ne) && ne.Timeout())
}
