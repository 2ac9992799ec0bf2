package apiclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"
	"time"
)

// APIError is an error the center answered with: the HTTP status and the
// code and message of its error envelope.
type APIError struct {
	Status  int
	Code    string // bad_request, unauthorized, forbidden, not_found, conflict ...
	Message string
	// RetryAfter is set when the center said when to try again (429).
	RetryAfter time.Duration
	// Fields lists the invalid fields of the request when the answer
	// names them (the "fields" of a refused notification channel's 400),
	// in the center's order; nil otherwise.
	Fields []FieldProblem
}

// FieldProblem is one invalid field of a request the center refused:
// where it is in the request's body (a dotted path with list indexes,
// e.g. webhook.url or filter.techniques[1]; "" for the body as a whole)
// and why.
type FieldProblem struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Error reads "agent 42 not found (404 not_found)".
func (e *APIError) Error() string {
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

// IsStatus reports whether err is, or wraps, an *APIError with status.
func IsStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// NetError means the center gave no answer: it could not be reached, its
// certificate was not trusted, or it did not answer in time.
type NetError struct {
	Server  string
	Timeout time.Duration // the request's timeout, for the message
	Err     error
}

// Error reads "cannot reach center at https://...: connection refused".
func (e *NetError) Error() string {
	if e.Certificate() {
		return fmt.Sprintf("cannot verify the certificate of center at %s: %s", e.Server, e.Cause())
	}
	return fmt.Sprintf("cannot reach center at %s: %s", e.Server, e.Cause())
}

// Unwrap returns the transport's error.
func (e *NetError) Unwrap() error { return e.Err }

// Certificate reports whether the center's certificate was refused.
func (e *NetError) Certificate() bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(e.Err, &verify) || errors.As(e.Err, &unknown) || errors.As(e.Err, &host) || errors.As(e.Err, &invalid)
}

// Cause says briefly why there was no answer.
func (e *NetError) Cause() string {
	err := e.Err
	var dns *net.DNSError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return fmt.Sprintf("host %s not found", dns.Name)
		}
		return dns.Error()
	case errors.As(err, &unknown):
		return "certificate signed by unknown authority"
	case errors.As(err, &host):
		return host.Error()
	case errors.As(err, &invalid):
		return invalid.Error()
	case errors.As(err, &record):
		return "the server did not answer with TLS"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no answer within %s", e.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
