package gateway

import (
	"errors"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// parseClient reads one message a client sent, with mcp.ParseClientMessage: JSON that
// parsers read differently (a duplicate key, invalid UTF-8, an escaped lone surrogate) is
// never checked on one reading and forwarded for another. A request it refuses comes back
// with refused, the -32602 reply to send under the request's id; a message that cannot be
// used at all (not JSON, not JSON-RPC, or refused without an id to answer) is err.
// b is the message's: its params and result are slices of b (every caller reads b fresh
// from a request and never changes it), so the arguments of a call are not copied.
func parseClient(b []byte) (msg jsonrpc.Message, refused *jsonrpc.Response, err error) {
	msg, err = mcp.ParseClientMessageOwned(b)
	if err == nil {
		return msg, nil, nil
	}
	if req, ok := msg.(*jsonrpc.Request); ok && req != nil && errors.Is(err, mcp.ErrInvalidInput) && req.IsCall() {
		return req, errorResponse(req.ID, codeInvalidParams, err.Error()), nil
	}
	return nil, nil, err
}
