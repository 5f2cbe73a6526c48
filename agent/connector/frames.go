package connector

import (
	"io"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// stream is what serving a call needs from a call stream (yamux or direct), so that tests
// can use a fake.
type stream interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
}

// newFrameWriter is the call stream codec's writer on s. On a tunnel stream (yamux or
// direct) each write is bounded by a deadline whose expiry closes the tunnel
// (tunnel.TimeoutWriter, GHSA-29qp-crvh-w22m).
func newFrameWriter(s stream, timeout time.Duration) *protocol.FrameWriter {
	if ts, ok := s.(tunnel.Stream); ok {
		return protocol.NewFrameWriter(tunnel.TimeoutWriter{Stream: ts, Timeout: timeout})
	}
	return protocol.NewFrameWriter(s)
}
