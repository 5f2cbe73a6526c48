package agents

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// frameWriter serialises whole frames on one stream. Each write has a deadline whose expiry
// closes the session (tunnel.TimeoutWriter, yamux advisory GHSA-29qp-crvh-w22m).
type frameWriter struct {
	mu      sync.Mutex
	s       *yamux.Stream
	timeout time.Duration
}

func newFrameWriter(s *yamux.Stream, timeout time.Duration) *frameWriter {
	return &frameWriter{s: s, timeout: timeout}
}

func (w *frameWriter) write(t protocol.Type, payload []byte) error {
	return w.writeWithin(t, payload, w.timeout)
}

func (w *frameWriter) writeWithin(t protocol.Type, payload []byte, timeout time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return protocol.WriteFrame(tunnel.TimeoutWriter{Stream: w.s, Timeout: timeout}, t, payload)
}

func (w *frameWriter) writeJSON(t protocol.Type, v any) error {
	return w.writeJSONWithin(t, v, w.timeout)
}

func (w *frameWriter) writeJSONWithin(t protocol.Type, v any, timeout time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s frame: %w", t, err)
	}
	return w.writeWithin(t, b, timeout)
}
