package notify

import (
	"context"
	"errors"
)

// permanentError marks a failure that retrying cannot fix: a rejected
// request, a bad signature, an unknown recipient.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent marks err as not worth retrying.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err is a delivery failure that retrying
// cannot fix.
func IsPermanent(err error) bool {
	var p *permanentError
	if errors.As(err, &p) {
		return true
	}
	var r *redactedError
	return errors.As(err, &r) && r.permanent
}

// redactedError is an error whose text went through a redactor. It keeps
// only what callers test for (permanence, cancellation), not the original
// error, whose text may hold a secret.
type redactedError struct {
	msg       string
	permanent bool
	ctxErr    error // context.Canceled or context.DeadlineExceeded, else nil
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.ctxErr }

// contextError returns the context error err carries, or nil.
func contextError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	default:
		return nil
	}
}
