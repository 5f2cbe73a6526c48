package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// decode reads r's body as exactly one JSON value into v, refusing unknown fields, trailing
// data, a body over MaxBodyBytes and a content type other than application/json.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return errorf(http.StatusUnsupportedMediaType, CodeUnsupported,
				"Content-Type must be application/json, got %q", ct)
		}
	}
	return decodeBody(http.MaxBytesReader(w, r.Body, MaxBodyBytes), v)
}

// decodeBody is decode without the HTTP parts; the fuzz test drives it directly.
func decodeBody(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return bodyError(err)
		}
		return invalid("request body: want one JSON value, found more after it")
	}
	return nil
}

func bodyError(err error) *Error {
	var tooBig *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "request body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return invalid("request body is empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("request body: JSON ends early")
	case errors.As(err, &syn):
		return invalid("request body: invalid JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalid("request body: want a JSON %s, got %s", typeName(typ.Type.Kind().String()), typ.Value)
		}
		return invalid("request body: field %q: want %s, got %s", typ.Field, typeName(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid("request body: unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return invalid("request body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func typeName(kind string) string {
	switch kind {
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "number"
	case "ptr":
		return "value"
	}
	return kind
}

// checkName validates a user, role or rule name: 1 to max characters, printable, no spaces
// at the ends.
func checkName(field, v string, max int) error {
	switch {
	case v == "":
		return invalid("%s is required", field)
	case len(v) > max:
		return invalid("%s is longer than %d characters", field, max)
	case strings.TrimSpace(v) != v:
		return invalid("%s %q has leading or trailing spaces", field, v)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return invalid("%s %q contains a control character", field, v)
		}
	}
	return nil
}
