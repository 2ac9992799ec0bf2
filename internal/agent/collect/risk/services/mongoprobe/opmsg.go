package mongoprobe

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"
)

// Operation codes of the wire protocol.
const (
	OpMsg        = 2013
	OpCompressed = 2012
	OpReply      = 1
)

// Flag bits of OP_MSG.
const (
	flagChecksumPresent = 1 << 0
	flagMoreToCome      = 1 << 1
)

// headerLen is the size of the standard message header.
const headerLen = 16

// AppendMsg appends an OP_MSG carrying cmd as its body (section kind 0).
func AppendMsg(dst []byte, requestID int32, cmd Doc) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, headerLen)...)
	dst = binary.LittleEndian.AppendUint32(dst, 0) // flags
	dst = append(dst, 0)                           // section kind 0: body
	dst, err := AppendDoc(dst, cmd)
	if err != nil {
		return nil, err
	}
	h := dst[start:]
	binary.LittleEndian.PutUint32(h[0:], uint32(len(dst)-start))
	binary.LittleEndian.PutUint32(h[4:], uint32(requestID))
	binary.LittleEndian.PutUint32(h[8:], 0)
	binary.LittleEndian.PutUint32(h[12:], OpMsg)
	return dst, nil
}

// Reply is a parsed OP_MSG reply.
type Reply struct {
	RequestID, ResponseTo int32
	Flags                 uint32
	// Body is the kind-0 section.
	Body Doc
}

// ReadMsg reads one message from r and parses it as an OP_MSG reply.
func ReadMsg(r io.Reader) (Reply, error) {
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return Reply{}, fmt.Errorf("%w: header cut short", ErrMalformed)
		}
		return Reply{}, err
	}
	n := int(int32(binary.LittleEndian.Uint32(hdr[0:])))
	if n < headerLen+5 || n > MaxDocument+headerLen+64 {
		return Reply{}, fmt.Errorf("%w: message length %d", ErrMalformed, n)
	}
	msg := make([]byte, n)
	copy(msg, hdr[:])
	if _, err := io.ReadFull(r, msg[headerLen:]); err != nil {
		return Reply{}, fmt.Errorf("%w: message of %d bytes cut short: %w", ErrMalformed, n, err)
	}
	return ParseMsg(msg)
}

// ParseMsg parses a whole OP_MSG message: header, flags, sections
// (kind 0, the body, exactly once; kind 1, document sequences, skipped
// after checking), and the checksum when its flag is set (not
// verified: the connection is to this host).
func ParseMsg(msg []byte) (Reply, error) {
	var rep Reply
	if len(msg) < headerLen+4 {
		return rep, fmt.Errorf("%w: message of %d bytes", ErrMalformed, len(msg))
	}
	if n := int(int32(binary.LittleEndian.Uint32(msg))); n != len(msg) {
		return rep, fmt.Errorf("%w: message length %d of %d bytes", ErrMalformed, n, len(msg))
	}
	rep.RequestID = int32(binary.LittleEndian.Uint32(msg[4:]))
	rep.ResponseTo = int32(binary.LittleEndian.Uint32(msg[8:]))
	op := int32(binary.LittleEndian.Uint32(msg[12:]))
	if op != OpMsg {
		return rep, fmt.Errorf("%w: operation %d, not OP_MSG", ErrMalformed, op)
	}
	rep.Flags = binary.LittleEndian.Uint32(msg[16:])
	if rep.Flags&^(flagChecksumPresent|flagMoreToCome|1<<16) != 0 {
		return rep, fmt.Errorf("%w: unknown required flag bits 0x%x", ErrMalformed, rep.Flags)
	}
	body := msg[headerLen+4:]
	if rep.Flags&flagChecksumPresent != 0 {
		if len(body) < 4 {
			return rep, fmt.Errorf("%w: checksum cut short", ErrMalformed)
		}
		body = body[:len(body)-4]
	}
	seenBody := false
	for len(body) > 0 {
		kind := body[0]
		body = body[1:]
		switch kind {
		case 0:
			n, err := docLen(body)
			if err != nil {
				return rep, err
			}
			if seenBody {
				return rep, fmt.Errorf("%w: two body sections", ErrMalformed)
			}
			d, err := DecodeDoc(body[:n])
			if err != nil {
				return rep, err
			}
			rep.Body, seenBody = d, true
			body = body[n:]
		case 1:
			if len(body) < 4 {
				return rep, fmt.Errorf("%w: document sequence cut short", ErrMalformed)
			}
			n := int(int32(binary.LittleEndian.Uint32(body)))
			if n < 5 || n > len(body) {
				return rep, fmt.Errorf("%w: document sequence of %d bytes", ErrMalformed, n)
			}
			seq := body[4:n]
			i := 0
			for i < len(seq) && seq[i] != 0 {
				i++
			}
			if i == len(seq) {
				return rep, fmt.Errorf("%w: document sequence identifier not terminated", ErrMalformed)
			}
			for docs := seq[i+1:]; len(docs) > 0; {
				m, err := docLen(docs)
				if err != nil {
					return rep, err
				}
				if _, err := DecodeDoc(docs[:m]); err != nil {
					return rep, err
				}
				docs = docs[m:]
			}
			body = body[n:]
		default:
			return rep, fmt.Errorf("%w: section kind %d", ErrMalformed, kind)
		}
	}
	if !seenBody {
		return rep, fmt.Errorf("%w: no body section", ErrMalformed)
	}
	return rep, nil
}

// Conn is a client connection running one command at a time.
type Conn struct {
	nc      net.Conn
	r       *bufio.Reader
	timeout time.Duration
	nextID  int32
}

// NewConn wraps an established connection; each command and its reply
// must complete within timeout.
func NewConn(nc net.Conn, timeout time.Duration) *Conn {
	return &Conn{nc: nc, r: bufio.NewReaderSize(nc, 4096), timeout: timeout, nextID: 1}
}

// Run sends cmd (its first element is the command; "$db" is added when
// missing) and returns the reply's body.
func (c *Conn) Run(ctx context.Context, db string, cmd Doc) (Doc, error) {
	if _, ok := cmd.Get("$db"); !ok {
		cmd = append(cmd, Elem{Key: "$db", Value: db})
	}
	id := c.nextID
	c.nextID++
	msg, err := AppendMsg(nil, id, cmd)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.nc.SetDeadline(deadline); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.nc.Write(msg); err != nil {
		return nil, fmt.Errorf("send %s: %w", cmd[0].Key, err)
	}
	rep, err := ReadMsg(c.r)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("reply to %s: %w", cmd[0].Key, err)
	}
	if rep.ResponseTo != id {
		return nil, fmt.Errorf("%w: reply to request %d, not %d", ErrMalformed, rep.ResponseTo, id)
	}
	return rep.Body, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }
