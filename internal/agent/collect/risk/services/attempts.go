package services

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// errMaxAttempts ends a service's guessing when its attempts are spent.
var errMaxAttempts = errors.New("attempts spent")

// errNotLoopback is the error of a connection to an address that is not
// a loopback one: the checks never make one.
var errNotLoopback = errors.New("not a loopback address")

// prober makes the attempts against one service: no more than max, no
// faster than one per interval, each exchange within timeout, only to
// loopback addresses.
type prober struct {
	c        *Collector
	interval time.Duration
	timeout  time.Duration
	max      int
	made     int
	last     time.Time
}

func (c *Collector) newProber(s Settings) *prober {
	return &prober{
		c:        c,
		interval: time.Duration(float64(time.Second) / s.Rate),
		timeout:  time.Duration(s.Timeout),
		max:      s.MaxAttempts,
	}
}

// attempt waits for the next attempt's turn and counts it; errMaxAttempts
// when none is left.
func (p *prober) attempt(ctx context.Context) error {
	if p.made >= p.max {
		return errMaxAttempts
	}
	if !p.last.IsZero() {
		if wait := time.Until(p.last.Add(p.interval)); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
	p.last = time.Now()
	p.made++
	p.c.probes.Add(1)
	return nil
}

// left reports whether an attempt is left.
func (p *prober) left() bool { return p.made < p.max }

// dial connects to a loopback address over TCP within the timeout. A
// refused connection is counted.
func (p *prober) dial(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	if !isLoopback(addr.Addr()) {
		return nil, fmt.Errorf("connect to %s: %w", addr, errNotLoopback)
	}
	d := net.Dialer{Timeout: p.timeout, Control: loopbackOnly}
	nc, err := d.DialContext(ctx, "tcp", addr.String())
	if errors.Is(err, syscall.ECONNREFUSED) {
		p.c.refused.Add(1)
	}
	return nc, err
}

// loopbackOnly refuses, at the socket, any connection to an address that
// is not a loopback one: a second guard behind the address the checks
// choose.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", address, err)
	}
	if !isLoopback(ap.Addr()) {
		return fmt.Errorf("connect to %s: %w", address, errNotLoopback)
	}
	return nil
}

// Sources of a candidate password (vigil.weak_password.source), as the
// risk/accounts collector names them.
const (
	// SourceDefault: the product's well-known defaults.
	SourceDefault = "default"
	// SourceAccount: the account's own name.
	SourceAccount = "account"
	// SourcePolicy: the words of the settings.
	SourcePolicy = "list:policy"
	// SourceBuiltin: the dictionary (Collector.Words).
	SourceBuiltin = "builtin"
)

// candidate is a password to try and the list it comes from.
type candidate struct {
	word, source string
}

// fromWords makes candidates of words from one source.
func fromWords(source string, words ...string) []candidate {
	out := make([]candidate, len(words))
	for i, w := range words {
		out[i] = candidate{w, source}
	}
	return out
}

// candidates returns the passwords to try, in order and without
// repeats: the lists given (the product's defaults ...), then the
// settings' words, then the dictionary; at most limit of them. Only the
// lists given may hold the empty password.
func (r *run) candidates(limit int, first ...[]candidate) []candidate {
	out := make([]candidate, 0, min(limit, 256))
	seen := map[string]bool{}
	add := func(c candidate) bool {
		if len(out) >= limit {
			return false
		}
		if !seen[c.word] {
			seen[c.word] = true
			out = append(out, c)
		}
		return true
	}
	for _, list := range first {
		for _, c := range list {
			if !add(c) {
				return out
			}
		}
	}
	for _, w := range r.s.Words {
		if !add(candidate{w, SourcePolicy}) {
			return out
		}
	}
	if r.c.Words != nil {
		for _, w := range r.c.Words() {
			if w != "" && !add(candidate{w, SourceBuiltin}) {
				return out
			}
		}
	}
	return out
}

// typeOf names what a guessed password is: empty, a product default, or
// a dictionary word (the account's name included).
func (c candidate) typeOf() string {
	switch {
	case c.word == "":
		return TypeEmptyPassword
	case c.source == SourceDefault:
		return TypeDefaultPassword
	}
	return TypeDictionaryPassword
}

// isTimeout reports whether err is a network timeout: the service may
// be busy, and a check that meets one cannot conclude. Other failures of
// a first exchange (a closed connection, an answer in another protocol)
// mean the service does not speak the protocol in the clear there (TLS).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
