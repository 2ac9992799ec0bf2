// Package httpjson is the JSON side of the center's HTTP answers: the error
// envelope {"error":{"code","message"}} with the codes of docs/api.md,
// listings {"items","next_cursor"}, and strict decoding of request bodies
// (bounded size, no unknown fields, one value, errors that name the field).
package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Error is an error the client gets to see: a status and a message.
type Error struct {
	Status  int
	Message string
	// RetryAfter, in whole seconds, is sent as Retry-After when set.
	RetryAfter int
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an Error with a formatted message.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// codes are the error codes of docs/api.md by status.
var codes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              "conflict",
	http.StatusGone:                  "gone",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnprocessableEntity:   "unprocessable",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusInternalServerError:   "internal",
	http.StatusServiceUnavailable:    "unavailable",
}

// Code is the error code for an HTTP status.
func Code(status int) string {
	if c, ok := codes[status]; ok {
		return c
	}
	if status < 500 {
		return "bad_request"
	}
	return "internal"
}

// Envelope is the body of every error answer.
type Envelope struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// WriteError writes e as the error envelope.
func WriteError(w http.ResponseWriter, e *Error) {
	var body Envelope
	body.Error.Code, body.Error.Message = Code(e.Status), e.Message
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(e.RetryAfter))
	}
	Write(w, e.Status, body)
}

// Write writes v as a JSON answer with status.
func Write(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":"internal","message":"encode answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// List is the shape of every listing.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// WriteList writes items (never null) and the next cursor.
func WriteList[T any](w http.ResponseWriter, items []T, next string) {
	if items == nil {
		items = []T{}
	}
	Write(w, http.StatusOK, List[T]{Items: items, NextCursor: next})
}

// DecodeBody reads r's JSON body of at most max bytes into dst strictly.
func DecodeBody(w http.ResponseWriter, r *http.Request, dst any, max int64) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return Errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", max)
	}
	if err != nil {
		return Errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	return Decode(data, dst)
}

// Decode decodes data into dst strictly: one JSON value, no unknown
// fields, nothing after it. Errors are 400s that say what and where.
func Decode(data []byte, dst any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return Errorf(http.StatusBadRequest, "request body is empty: want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return Errorf(http.StatusBadRequest, "request body: %s", describe(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(http.StatusBadRequest, "request body: unexpected data after the JSON object")
	}
	return nil
}

func describe(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at offset %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		want := jsonKind(typ.Type.Kind().String())
		if typ.Field == "" {
			return fmt.Sprintf("want a JSON %s, got %s", want, typ.Value)
		}
		return fmt.Sprintf("field %q: want %s, got %s", typ.Field, want, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated JSON"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(kind string) string {
	switch kind {
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "ptr", "interface":
		return "value"
	}
	return "number"
}
