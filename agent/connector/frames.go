package connector

import (
	"io"
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

// newFrameWriter is the call stream codec's writer on s. On a yamux stream each write is
// bounded by a deadline whose expiry closes the session (tunnel.TimeoutWriter,
// GHSA-29qp-crvh-w22m).
func newFrameWriter(s stream, timeout time.Duration) *protocol.FrameWriter {
	if ys, ok := s.(*yamux.Stream); ok {
		return protocol.NewFrameWriter(tunnel.TimeoutWriter{Stream: ys, Timeout: timeout})
	}
	return protocol.NewFrameWriter(s)
}
