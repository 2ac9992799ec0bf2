package enroll

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Reasons an enrollment is refused, for errors.Is.
var (
	ErrTokenInvalid  = errors.New("invalid join token")
	ErrTokenExpired  = errors.New("join token expired")
	ErrTokenUsedUp   = errors.New("join token used up")
	ErrRateLimited   = errors.New("too many failed enrollments")
	ErrNotACenter    = errors.New("not a Vigil center enrollment endpoint")
	ErrCenterFailure = errors.New("the center failed")
)

// APIError is an error answer of the center.
type APIError struct {
	Status  int
	Code    string
	Message string
}

// Error says what the center answered.
func (e *APIError) Error() string {
	return fmt.Sprintf("enrollment refused: %s (%s, HTTP %d)", e.Message, e.Code, e.Status)
}

// Unwrap maps the answer onto the Err* values.
func (e *APIError) Unwrap() error {
	msg := strings.ToLower(e.Message)
	switch {
	case e.Status == http.StatusUnauthorized:
		return ErrTokenInvalid
	case e.Status == http.StatusGone && strings.Contains(msg, "expired"):
		return ErrTokenExpired
	case e.Status == http.StatusGone && strings.Contains(msg, "used up"):
		return ErrTokenUsedUp
	case e.Status == http.StatusGone:
		return ErrTokenInvalid
	case e.Status == http.StatusBadRequest && strings.Contains(msg, "ca hash"):
		return ErrCAMismatch
	case e.Status == http.StatusBadRequest && strings.Contains(msg, "token"):
		return ErrTokenInvalid
	case e.Status == http.StatusTooManyRequests:
		return ErrRateLimited
	case e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed:
		return ErrNotACenter
	case e.Status >= 500:
		return ErrCenterFailure
	}
	return nil
}

// decodeAPIError reads an error body {"error":{"code","message"}}; a body
// of another shape becomes an APIError carrying the status text.
func decodeAPIError(status int, body []byte) error {
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e := &APIError{Status: status}
	if err := json.Unmarshal(body, &env); err == nil && env.Error.Message != "" {
		e.Code, e.Message = env.Error.Code, env.Error.Message
	} else {
		e.Code, e.Message = "unknown", http.StatusText(status)
	}
	e.Message = clip(e.Message, 300)
	e.Code = clip(e.Code, 40)
	return e
}

// clip bounds untrusted text shown to the operator.
func clip(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}
