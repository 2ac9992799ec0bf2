package redisprobe

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"time"
)

// Conn is a client connection that sends one command at a time and waits
// for its reply.
type Conn struct {
	nc      net.Conn
	r       *bufio.Reader
	timeout time.Duration
	buf     []byte
}

// NewConn wraps an established connection; each command and its reply
// must complete within timeout.
func NewConn(nc net.Conn, timeout time.Duration) *Conn {
	return &Conn{nc: nc, r: bufio.NewReaderSize(nc, 4096), timeout: timeout}
}

// Do sends one command and reads its reply. An error reply is a Reply,
// not an error; an error means the exchange failed and the connection is
// no longer usable.
func (c *Conn) Do(ctx context.Context, args ...string) (Reply, error) {
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.nc.SetDeadline(deadline); err != nil {
		return Reply{}, err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c.buf = AppendCommand(c.buf[:0], args...)
	if _, err := c.nc.Write(c.buf); err != nil {
		return Reply{}, fmt.Errorf("send %s: %w", args[0], err)
	}
	r, err := ReadReply(c.r)
	if err != nil {
		if ctx.Err() != nil {
			return Reply{}, ctx.Err()
		}
		return Reply{}, fmt.Errorf("reply to %s: %w", args[0], err)
	}
	return r, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Access is what a reply to PING says about authentication.
type Access int

// Answers to PING.
const (
	// AccessUnknown: a reply that says neither (a renamed command ...).
	AccessUnknown Access = iota
	// AccessOpen: PING answered; commands run without AUTH.
	AccessOpen
	// AccessAuthRequired: NOAUTH, a password is needed.
	AccessAuthRequired
	// AccessDenied: DENIED, protected mode refuses this client.
	AccessDenied
)

// ClassifyPing tells what a reply to PING says.
func ClassifyPing(r Reply) Access {
	switch {
	case r.Kind == SimpleString && strings.EqualFold(r.Str, "PONG"):
		return AccessOpen
	case r.Kind == BulkString && strings.EqualFold(r.Str, "PONG"):
		return AccessOpen
	case r.IsError() && strings.HasPrefix(r.Str, "NOAUTH"):
		return AccessAuthRequired
	case r.IsError() && strings.HasPrefix(r.Str, "DENIED"):
		return AccessDenied
	}
	return AccessUnknown
}

// AuthOutcome is what a reply to AUTH says.
type AuthOutcome int

// Answers to AUTH.
const (
	// AuthUnexpected: a reply that says neither yes nor no.
	AuthUnexpected AuthOutcome = iota
	// AuthAccepted: +OK, the password is right.
	AuthAccepted
	// AuthRejected: the password is wrong (WRONGPASS from Redis 6 on,
	// "ERR invalid password" before).
	AuthRejected
	// AuthNoPassword: the server has no password for the user, so AUTH
	// cannot succeed or fail.
	AuthNoPassword
)

// ClassifyAuth tells what a reply to AUTH says.
func ClassifyAuth(r Reply) AuthOutcome {
	if r.Kind == SimpleString && r.Str == "OK" {
		return AuthAccepted
	}
	if !r.IsError() {
		return AuthUnexpected
	}
	msg := strings.ToLower(r.Str)
	switch {
	case strings.HasPrefix(msg, "wrongpass"),
		strings.HasPrefix(msg, "err invalid password"),
		strings.HasPrefix(msg, "err invalid username-password pair"):
		return AuthRejected
	case strings.Contains(msg, "without any password configured"),
		strings.Contains(msg, "no password is set"):
		return AuthNoPassword
	}
	return AuthUnexpected
}

// ConfigValue returns the value of a CONFIG GET reply for name: the
// reply is an array of name, value pairs.
func ConfigValue(r Reply, name string) (string, bool) {
	if r.Kind != Array {
		return "", false
	}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		if strings.EqualFold(r.Elems[i].Str, name) {
			return r.Elems[i+1].Str, true
		}
	}
	return "", false
}
