package agents

import (
	"io"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// newFrameWriter is the call stream codec's writer on a stream (yamux or direct), each write
// bounded by timeout.
func newFrameWriter(s tunnel.Stream, timeout time.Duration) *protocol.FrameWriter {
	return protocol.NewFrameWriter(bounded(s, timeout))
}

// bounded bounds each write to s by timeout; an expiry closes the whole tunnel
// (tunnel.TimeoutWriter, yamux advisory GHSA-29qp-crvh-w22m), whether s is a yamux stream
// or a direct one.
func bounded(s tunnel.Stream, timeout time.Duration) io.Writer {
	return tunnel.TimeoutWriter{Stream: s, Timeout: timeout}
}
