package audit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Audit record types the sensor reads (linux/audit.h).
const (
	typeSyscall   = 1300
	typePath      = 1302
	typeCwd       = 1307
	typeExecve    = 1309
	typeEOE       = 1320
	typeProctitle = 1327
)

// errMalformed is wrapped by every parse error.
var errMalformed = errors.New("malformed audit record")

// header is the "audit(SECONDS.MILLIS:SERIAL): " prefix of every record.
type header struct {
	At     time.Time
	Serial uint64
}

// parseHeader splits a record's text into its header and its fields.
func parseHeader(data []byte) (header, []byte, error) {
	rest, ok := bytes.CutPrefix(data, []byte("audit("))
	if !ok {
		return header{}, nil, fmt.Errorf("%w: no audit( prefix", errMalformed)
	}
	end := bytes.IndexByte(rest, ')')
	if end < 0 {
		return header{}, nil, fmt.Errorf("%w: unterminated header", errMalformed)
	}
	stamp, body := rest[:end], rest[end+1:]
	body = bytes.TrimLeft(bytes.TrimPrefix(body, []byte(":")), " ")
	ts, serial, ok := bytes.Cut(stamp, []byte(":"))
	if !ok {
		return header{}, nil, fmt.Errorf("%w: no serial in %q", errMalformed, stamp)
	}
	secs, millis, ok := bytes.Cut(ts, []byte("."))
	if !ok {
		return header{}, nil, fmt.Errorf("%w: bad time %q", errMalformed, ts)
	}
	sec, err1 := strconv.ParseInt(string(secs), 10, 64)
	ms, err2 := strconv.ParseUint(string(millis), 10, 16)
	n, err3 := strconv.ParseUint(string(serial), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || sec < 0 || ms > 999 {
		return header{}, nil, fmt.Errorf("%w: bad stamp %q", errMalformed, stamp)
	}
	return header{At: time.Unix(sec, int64(ms)*int64(time.Millisecond)), Serial: n}, body, nil
}

// eachField calls f with every key=value of a record's fields, the value
// raw (quotes kept). Words without "=" are skipped. It stops early when
// f returns false.
func eachField(body []byte, f func(key, val []byte) bool) error {
	for len(body) > 0 {
		body = bytes.TrimLeft(body, " ")
		if len(body) == 0 {
			return nil
		}
		eq := bytes.IndexAny(body, "= ")
		if eq < 0 || body[eq] == ' ' {
			// A word without a value.
			if eq < 0 {
				return nil
			}
			body = body[eq:]
			continue
		}
		key := body[:eq]
		body = body[eq+1:]
		var val []byte
		if len(body) > 0 && (body[0] == '"' || body[0] == '\'') {
			end := bytes.IndexByte(body[1:], body[0])
			if end < 0 {
				return fmt.Errorf("%w: unterminated quote after %s=", errMalformed, key)
			}
			val, body = body[:end+2], body[end+2:]
		} else {
			end := bytes.IndexByte(body, ' ')
			if end < 0 {
				end = len(body)
			}
			val, body = body[:end], body[end:]
		}
		if !f(key, val) {
			return nil
		}
	}
	return nil
}

// untrusted decodes a value the kernel wrote as an untrusted string
// (audit_log_untrustedstring): quoted when it holds only printable
// characters other than the quote and space, hex-encoded otherwise.
// "(null)" and other bare words that are not hex are returned with
// ok false.
func untrusted(val []byte) (s []byte, ok bool) {
	if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
		return val[1 : len(val)-1], true
	}
	if len(val)%2 != 0 {
		return nil, false
	}
	out := make([]byte, len(val)/2)
	if _, err := hex.Decode(out, val); err != nil {
		return nil, false
	}
	return out, true
}

// parseNum parses a decimal field.
func parseNum(val []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(val), 10, 64)
	return n, err == nil
}

// parseID parses a decimal id field; 4294967295 (unset) is kept.
func parseID(val []byte) (uint32, bool) {
	n, err := strconv.ParseUint(string(val), 10, 32)
	return uint32(n), err == nil
}

// parseHexArg parses a syscall argument (a0..a3 of SYSCALL: hex without
// 0x).
func parseHexArg(val []byte) (uint64, bool) {
	n, err := strconv.ParseUint(string(val), 16, 64)
	return n, err == nil
}
