package gateway

import (
	"net/http"
	"strconv"
)

// contentTypeJSON is the Content-Type of every plain JSON reply, shared: net/http only reads
// a header's values, and setting the map entry directly spares an allocation per reply.
var contentTypeJSON = []string{"application/json"}

// chunkingThreshold is the body size from which net/http, not told the length, switches a
// response to chunked encoding (its bufferBeforeChunkingSize); below it, it computes the
// Content-Length itself when the handler returns, without an allocation.
const chunkingThreshold = 2048

// writeJSONBody writes a whole JSON reply: status, Content-Type and body. A body net/http
// would otherwise send chunked gets its Content-Length, so the reply leaves as one
// response with a known length, in as few write(2)s as its size allows (one below net/http's
// 4 KiB connection buffer) rather than chunk by chunk.
func writeJSONBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	if len(body) >= chunkingThreshold {
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
