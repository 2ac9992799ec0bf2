// Package redisprobe speaks the part of the Redis serialization protocol
// (RESP2) that the weak-credential checks need: commands written as
// arrays of bulk strings, replies read with bounds on their size and
// depth, and the meaning of the replies to PING and AUTH.
package redisprobe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Bounds of a reply.
const (
	// MaxBulk bounds a bulk string.
	MaxBulk = 512 << 10
	// MaxElems bounds an array.
	MaxElems = 4096
	// MaxDepth bounds the nesting of arrays.
	MaxDepth = 8
	// maxLine bounds the line of a simple string, error or integer.
	maxLine = 64 << 10
)

// ErrMalformed is wrapped by the errors of replies that are not RESP2.
var ErrMalformed = errors.New("malformed RESP reply")

// Kind is the type of a reply: its first byte.
type Kind byte

// Reply kinds of RESP2.
const (
	SimpleString Kind = '+'
	Error        Kind = '-'
	Integer      Kind = ':'
	BulkString   Kind = '$'
	Array        Kind = '*'
)

// Reply is one RESP2 reply.
type Reply struct {
	Kind Kind
	// Str is the text of a simple string, an error or a bulk string.
	Str string
	// Int is the value of an integer.
	Int int64
	// Elems are the elements of an array.
	Elems []Reply
	// Nil marks the null bulk string ($-1) and the null array (*-1).
	Nil bool
}

// IsError reports whether r is an error reply.
func (r Reply) IsError() bool { return r.Kind == Error }

// Short returns r as a short line for evidence: the kind's byte and at
// most 80 bytes of its text, arrays as their length.
func (r Reply) Short() string {
	var s string
	switch r.Kind {
	case Integer:
		s = strconv.FormatInt(r.Int, 10)
	case Array:
		if r.Nil {
			return "*-1"
		}
		return fmt.Sprintf("*%d", len(r.Elems))
	default:
		if r.Nil {
			return string(r.Kind) + "-1"
		}
		s = r.Str
	}
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	q := strconv.QuoteToASCII(s)
	return string(r.Kind) + q[1:len(q)-1]
}

// AppendCommand appends the command args, as RESP2 clients send it (an
// array of bulk strings), to dst.
func AppendCommand(dst []byte, args ...string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// ReadReply reads one reply from r.
func ReadReply(r *bufio.Reader) (Reply, error) {
	return readReply(r, 0)
}

func readReply(r *bufio.Reader, depth int) (Reply, error) {
	line, err := readLine(r)
	if err != nil {
		return Reply{}, err
	}
	if len(line) == 0 {
		return Reply{}, fmt.Errorf("%w: empty line", ErrMalformed)
	}
	kind, rest := Kind(line[0]), line[1:]
	switch kind {
	case SimpleString, Error:
		return Reply{Kind: kind, Str: rest}, nil
	case Integer:
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return Reply{}, fmt.Errorf("%w: integer %q", ErrMalformed, short(rest))
		}
		return Reply{Kind: kind, Int: n}, nil
	case BulkString:
		n, err := length(rest, MaxBulk)
		if err != nil {
			return Reply{}, err
		}
		if n < 0 {
			return Reply{Kind: kind, Nil: true}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return Reply{}, fmt.Errorf("%w: bulk string of %d bytes: %w", ErrMalformed, n, unexpected(err))
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return Reply{}, fmt.Errorf("%w: bulk string of %d bytes not followed by CRLF", ErrMalformed, n)
		}
		return Reply{Kind: kind, Str: string(buf[:n])}, nil
	case Array:
		n, err := length(rest, MaxElems)
		if err != nil {
			return Reply{}, err
		}
		if n < 0 {
			return Reply{Kind: kind, Nil: true}, nil
		}
		if depth+1 > MaxDepth {
			return Reply{}, fmt.Errorf("%w: arrays nested deeper than %d", ErrMalformed, MaxDepth)
		}
		out := Reply{Kind: kind, Elems: make([]Reply, 0, min(n, 64))}
		for i := 0; i < n; i++ {
			e, err := readReply(r, depth+1)
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("%w: %w", ErrMalformed, io.ErrUnexpectedEOF)
			}
			if err != nil {
				return Reply{}, fmt.Errorf("element %d of %d: %w", i, n, err)
			}
			out.Elems = append(out.Elems, e)
		}
		return out, nil
	}
	return Reply{}, fmt.Errorf("%w: unknown type byte %q", ErrMalformed, line[0])
}

// length parses the length of a bulk string or an array: -1 (nil) or
// 0..max.
func length(s string, max int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < -1 {
		return 0, fmt.Errorf("%w: length %q", ErrMalformed, short(s))
	}
	if n > max {
		return 0, fmt.Errorf("%w: length %d over the bound %d", ErrMalformed, n, max)
	}
	return n, nil
}

// readLine reads a line ending in CRLF, without it.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, err := r.ReadSlice('\n')
		if b.Len()+len(chunk) > maxLine {
			return "", fmt.Errorf("%w: line longer than %d bytes", ErrMalformed, maxLine)
		}
		b.Write(chunk)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if b.Len() > 0 {
			return "", fmt.Errorf("%w: line cut short: %w", ErrMalformed, unexpected(err))
		}
		return "", err
	}
	s := b.String()
	if len(s) < 2 || s[len(s)-2] != '\r' {
		return "", fmt.Errorf("%w: line not ended by CRLF", ErrMalformed)
	}
	return s[:len(s)-2], nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func short(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
