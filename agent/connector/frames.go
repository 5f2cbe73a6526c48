package connector

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// stream is what serving a call needs from a yamux stream, so that tests can use a fake.
type stream interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
}

// frameWriter serialises whole frames on one stream. On a yamux stream each write is bounded
// by a deadline whose expiry closes the session (tunnel.TimeoutWriter, GHSA-29qp-crvh-w22m).
type frameWriter struct {
	mu  sync.Mutex
	out io.Writer
}

func newFrameWriter(s stream, timeout time.Duration) *frameWriter {
	if ys, ok := s.(*yamux.Stream); ok {
		return &frameWriter{out: tunnel.TimeoutWriter{Stream: ys, Timeout: timeout}}
	}
	return &frameWriter{out: s}
}

func (w *frameWriter) write(t protocol.Type, payload []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return protocol.WriteFrame(w.out, t, payload)
}

func (w *frameWriter) writeJSON(t protocol.Type, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s frame: %w", t, err)
	}
	return w.write(t, b)
}
