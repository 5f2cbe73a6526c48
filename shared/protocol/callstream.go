package protocol

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// The call stream's codec, used by the hub and the agent alike: whole frames written under
// one lock, and the typed encoding and decoding of what call frames carry. Notify, Request,
// Response and Result frames carry one raw JSON-RPC message as their whole payload (a Result
// for a notification is empty); Call and Cancel frames carry JSON objects.

// FrameWriter serialises whole frames on one stream, so that a call's notifications,
// server→client requests and result, written from different goroutines, never interleave.
// It knows nothing of the transport: out bounds each write (on a yamux stream,
// tunnel.TimeoutWriter, whose expiry closes the session: yamux advisory GHSA-29qp-crvh-w22m).
type FrameWriter struct {
	mu  sync.Mutex
	out io.Writer
}

// NewFrameWriter returns a FrameWriter that writes to out.
func NewFrameWriter(out io.Writer) *FrameWriter { return &FrameWriter{out: out} }

// Write writes one frame.
func (w *FrameWriter) Write(t Type, payload []byte) error { return w.WriteVia(w.out, t, payload) }

// WriteVia writes one frame through out instead of the usual writer (the same stream with
// another bound, such as a short one for a Cancel), still serialised with the other frames.
func (w *FrameWriter) WriteVia(out io.Writer, t Type, payload []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return WriteFrame(out, t, payload)
}

// WriteJSON writes a frame whose payload is v as JSON (Call, Cancel and control frames).
func (w *FrameWriter) WriteJSON(t Type, v any) error { return w.WriteJSONVia(w.out, t, v) }

// WriteJSONVia is WriteJSON through out; see WriteVia.
func (w *FrameWriter) WriteJSONVia(out io.Writer, t Type, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s frame: %w", t, err)
	}
	return w.WriteVia(out, t, b)
}

// WriteMessage writes a Notify, Request, Response or Result frame carrying msg; a nil msg
// (or nil pointer) is an empty payload (the Result of a notification). A message that cannot
// be encoded is ErrEncode, and nothing is written. The message is encoded straight after
// the frame header, so a result is copied once on its way out, not twice.
func (w *FrameWriter) WriteMessage(t Type, msg jsonrpc.Message) error {
	size := headerLen + 64
	switch m := msg.(type) {
	case *jsonrpc.Request:
		if m != nil {
			size += len(m.Params)
		}
	case *jsonrpc.Response:
		if m != nil {
			size += len(m.Result)
		}
	}
	buf, err := AppendMessageFrame(make([]byte, 0, size), t, msg)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err = w.out.Write(buf)
	return err
}

// AppendMessageFrame appends the frame WriteMessage writes to b: byte for byte what
// WriteFrame(t, mcp.EncodeMessage(msg)) writes.
func AppendMessageFrame(b []byte, t Type, msg jsonrpc.Message) ([]byte, error) {
	start := len(b)
	out := append(b, byte(t), 0, 0, 0, 0)
	var err error
	switch m := msg.(type) {
	case nil:
	case *jsonrpc.Request:
		if m != nil {
			out, err = mcp.AppendRequest(out, m)
		}
	case *jsonrpc.Response:
		if m != nil {
			out, err = mcp.AppendResponse(out, m)
		}
	default:
		err = fmt.Errorf("unknown message type %T", msg)
	}
	if err != nil {
		return b, fmt.Errorf("encode %s frame: %w: %w", t, ErrEncode, err)
	}
	b = out
	n := len(b) - start - headerLen
	if n > MaxFrame {
		return b[:start], fmt.Errorf("write %s frame of %d bytes: %w", t, n, ErrFrameTooLarge)
	}
	binary.BigEndian.PutUint32(b[start+1:start+headerLen], uint32(n))
	return b, nil
}

// ErrEncode: a message that cannot be encoded (nothing was written).
var ErrEncode = errors.New("protocol: cannot encode message")

// ErrWrongMessage: a call frame carries a JSON-RPC response where a request belongs, or the
// other way round.
var ErrWrongMessage = errors.New("protocol: wrong kind of JSON-RPC message")

// DecodeRequest decodes the JSON-RPC request (or notification) of a Notify or Request frame,
// or of a Call frame's Message.
func DecodeRequest(t Type, payload []byte) (*jsonrpc.Request, error) {
	msg, err := mcp.ParseMessage(payload)
	if err != nil {
		return nil, fmt.Errorf("decode %s frame: %w", t, err)
	}
	req, ok := msg.(*jsonrpc.Request)
	if !ok {
		return nil, fmt.Errorf("decode %s frame: got a response, want a request: %w", t, ErrWrongMessage)
	}
	return req, nil
}

// DecodeResponse decodes the JSON-RPC response of a Response or Result frame; an empty
// Result (the call was a notification) is nil.
func DecodeResponse(t Type, payload []byte) (*jsonrpc.Response, error) {
	if len(payload) == 0 && t == TypeResult {
		return nil, nil
	}
	msg, err := mcp.ParseMessage(payload)
	if err != nil {
		return nil, fmt.Errorf("decode %s frame: %w", t, err)
	}
	resp, ok := msg.(*jsonrpc.Response)
	if !ok {
		return nil, fmt.Errorf("decode %s frame: got a request, want a response: %w", t, ErrWrongMessage)
	}
	return resp, nil
}

// Request decodes the JSON-RPC request the Call carries.
func (c *Call) Request() (*jsonrpc.Request, error) { return DecodeRequest(TypeCall, c.Message) }

// ErrorResponse is the response a side writes when it has no answer of its own: code and
// message, no data.
func ErrorResponse(id jsonrpc.ID, code int64, msg string) *jsonrpc.Response {
	return mcp.ErrorResponse(id, code, msg, nil)
}

// WireError keeps a JSON-RPC error's code, and calls anything else an internal error.
func WireError(err error) *jsonrpc.Error {
	var we *jsonrpc.Error
	if errors.As(err, &we) {
		return we
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: err.Error()}
}
