package agents

import (
	"io"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// newFrameWriter is the call stream codec's writer on a yamux stream, each write bounded by
// timeout.
func newFrameWriter(s *yamux.Stream, timeout time.Duration) *protocol.FrameWriter {
	return protocol.NewFrameWriter(bounded(s, timeout))
}

// bounded bounds each write to s by timeout; an expiry closes the whole session
// (tunnel.TimeoutWriter, yamux advisory GHSA-29qp-crvh-w22m).
func bounded(s *yamux.Stream, timeout time.Duration) io.Writer {
	return tunnel.TimeoutWriter{Stream: s, Timeout: timeout}
}
