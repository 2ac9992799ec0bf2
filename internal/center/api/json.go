package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/vigilsec/vigil/internal/center/api/httpjson"
	"github.com/vigilsec/vigil/internal/store"
)

// maxBody bounds every request body.
const maxBody = 1 << 20

// apiError is an error the client gets to see.
type apiError = httpjson.Error

// errorBody is the error envelope.
type errorBody = httpjson.Envelope

var (
	errorf    = httpjson.Errorf
	writeJSON = httpjson.Write
	writeErr  = httpjson.WriteError
)

// writeList writes items (never null) and the next cursor.
func writeList[T any](w http.ResponseWriter, items []T, next string) {
	httpjson.WriteList(w, items, next)
}

// decodeBody reads r's JSON body strictly (see httpjson.Decode).
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	return httpjson.DecodeBody(w, r, dst, maxBody)
}

// decodeJSON decodes a body strictly.
func decodeJSON(data []byte, dst any) error { return httpjson.Decode(data, dst) }

// storeError turns a store error about what (e.g. "agent 42") into the
// answer the client gets; unexpected errors stay internal.
func storeError(err error, what string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusNotFound, "%s not found", what)
	case errors.Is(err, store.ErrAlreadyExists):
		return errorf(http.StatusConflict, "%s already exists", what)
	case errors.Is(err, store.ErrBadCursor):
		return errorf(http.StatusBadRequest, "cursor: not one this listing returned")
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, "%s changed meanwhile; retry", what)
	case errors.Is(err, store.ErrInvalid):
		return errorf(http.StatusBadRequest, "%s: the store refused it as invalid", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}
