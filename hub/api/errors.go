package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Error is an API error: an HTTP status, a stable machine-readable code and a message for people.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Permission names the missing permission of a 403.
	Permission string `json:"permission,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus is the status, code and message to answer with (the web console's sign-in).
func (e *Error) HTTPStatus() (int, string, string) { return e.Status, e.Code, e.Message }

// Error codes.
const (
	CodeBadRequest   = "bad_request"
	CodeInvalid      = "invalid"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeTooLarge     = "too_large"
	CodeUnsupported  = "unsupported_media_type"
	CodeLocked       = "locked"
	CodeRateLimited  = "rate_limited"
	CodeUnavailable  = "unavailable"
	CodeInternal     = "internal"
	// CodeCSRF: a console session's write without its CSRF token (403).
	CodeCSRF = "csrf"
)

func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, CodeInvalid, format, args...)
}

func notFound(format string, args ...any) *Error {
	return errorf(http.StatusNotFound, CodeNotFound, format, args...)
}

func conflict(format string, args ...any) *Error {
	return errorf(http.StatusConflict, CodeConflict, format, args...)
}

func forbidden(perm string) *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Permission: perm,
		Message: fmt.Sprintf("permission %q is required", perm)}
}

// asError turns any handler error into an *Error; internal causes are not shown to clients.
func asError(err error) (e *Error, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound("%s", err.Error()), false
	case errors.Is(err, store.ErrConflict):
		return conflict("%s", err.Error()), false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "request cancelled or timed out"), false
	}
	return errorf(http.StatusInternalServerError, CodeInternal, "internal error; see the hub's log"), true
}

func writeError(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mcp-gateway", error="invalid_token", error_description="`+
			jsonSafe(e.Message)+`"`)
	}
	writeJSON(w, e.Status, map[string]*Error{"error": e})
}

// jsonSafe drops quotes and backslashes so a message can sit in a header's quoted string.
func jsonSafe(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '"' && c != '\\' && c >= 0x20 && c < 0x7f {
			out = append(out, c)
		}
	}
	return string(out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
