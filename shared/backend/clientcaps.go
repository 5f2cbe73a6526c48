package backend

import "encoding/json"

// The optional Sink interfaces below are how callers used to tell a backend about the call;
// Call has the same facts as fields. They stay only until every caller builds a Call.

// ClientCapabilities is implemented by a Sink that knows what its client declared.
// Deprecated: set Call.ClientCapabilities.
type ClientCapabilities interface {
	ClientCapabilities() json.RawMessage
}

// InputPassthrough is implemented by a Sink whose client speaks the stateless era itself.
// Deprecated: set Call.PassInputRequired.
type InputPassthrough interface {
	PassInputRequired() bool
}

// Owner is implemented by a Sink that knows which client session it serves.
// Deprecated: set Call.Owner.
type Owner interface {
	Owner() string
}
