// Package mongoprobe speaks the part of MongoDB's wire protocol the
// checks need (OP_MSG with a body section, and the BSON of its
// documents) and reads mongod's configuration file for the settings
// that decide authentication.
package mongoprobe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrMalformed is wrapped by the errors of messages and documents that
// break the protocol.
var ErrMalformed = errors.New("malformed MongoDB message")

// Bounds of a document read.
const (
	// MaxDocument bounds a document (MongoDB's own limit is 16 MiB;
	// the replies read here are a few KiB).
	MaxDocument = 1 << 20
	// MaxDepth bounds the nesting of documents and arrays.
	MaxDepth = 32
)

// Doc is a decoded BSON document: its elements in order.
type Doc []Elem

// Elem is one element of a document.
type Elem struct {
	Key string
	// Value is float64, string, Doc, []any, []byte (binary), bool, nil,
	// int32, int64, or Opaque for the types the checks do not read.
	Value any
}

// Opaque stands for a value of a type the package does not decode
// (ObjectId, dates, timestamps, regular expressions, decimals ...).
type Opaque struct {
	Type byte
}

// Get returns the value of the first element named key.
func (d Doc) Get(key string) (any, bool) {
	for _, e := range d {
		if e.Key == key {
			return e.Value, true
		}
	}
	return nil, false
}

// Number returns a numeric element as float64 (double, int32, int64).
func (d Doc) Number(key string) (float64, bool) {
	v, ok := d.Get(key)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case float64:
		return n, true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case bool:
		if n {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// String returns a string element.
func (d Doc) String(key string) (string, bool) {
	v, ok := d.Get(key)
	s, isStr := v.(string)
	return s, ok && isStr
}

// OK reports whether a command reply says ok: 1.
func (d Doc) OK() bool {
	n, ok := d.Number("ok")
	return ok && n == 1
}

// AppendDoc appends the BSON of a document whose values are float64,
// int32, int64, string, bool, Doc or []Doc (an array of documents).
func AppendDoc(dst []byte, d Doc) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	for _, e := range d {
		if bytes.IndexByte([]byte(e.Key), 0) >= 0 {
			return nil, fmt.Errorf("key %q holds a NUL", e.Key)
		}
		switch v := e.Value.(type) {
		case float64:
			dst = append(dst, 0x01)
			dst = appendCString(dst, e.Key)
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
		case string:
			dst = append(dst, 0x02)
			dst = appendCString(dst, e.Key)
			dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)+1))
			dst = append(dst, v...)
			dst = append(dst, 0)
		case Doc:
			dst = append(dst, 0x03)
			dst = appendCString(dst, e.Key)
			var err error
			if dst, err = AppendDoc(dst, v); err != nil {
				return nil, err
			}
		case []Doc:
			dst = append(dst, 0x04)
			dst = appendCString(dst, e.Key)
			arr := make(Doc, len(v))
			for i, d := range v {
				arr[i] = Elem{Key: strconv.Itoa(i), Value: d}
			}
			var err error
			if dst, err = AppendDoc(dst, arr); err != nil {
				return nil, err
			}
		case bool:
			dst = append(dst, 0x08)
			dst = appendCString(dst, e.Key)
			b := byte(0)
			if v {
				b = 1
			}
			dst = append(dst, b)
		case int32:
			dst = append(dst, 0x10)
			dst = appendCString(dst, e.Key)
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		case int64:
			dst = append(dst, 0x12)
			dst = appendCString(dst, e.Key)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		default:
			return nil, fmt.Errorf("key %q: values of type %T are not written", e.Key, e.Value)
		}
	}
	dst = append(dst, 0)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst, nil
}

func appendCString(dst []byte, s string) []byte {
	dst = append(dst, s...)
	return append(dst, 0)
}

// DecodeDoc decodes one document that fills b exactly.
func DecodeDoc(b []byte) (Doc, error) {
	d, n, err := decodeDoc(b, 0)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, fmt.Errorf("%w: %d bytes after the document", ErrMalformed, len(b)-n)
	}
	return d, nil
}

// docLen reads the length prefix of a document at the start of b.
func docLen(b []byte) (int, error) {
	if len(b) < 5 {
		return 0, fmt.Errorf("%w: document of %d bytes", ErrMalformed, len(b))
	}
	n := int(int32(binary.LittleEndian.Uint32(b)))
	if n < 5 || n > len(b) || n > MaxDocument {
		return 0, fmt.Errorf("%w: document length %d of %d bytes", ErrMalformed, n, len(b))
	}
	return n, nil
}

// decodeDoc decodes the document at the start of b and returns it and
// its length.
func decodeDoc(b []byte, depth int) (Doc, int, error) {
	if depth > MaxDepth {
		return nil, 0, fmt.Errorf("%w: documents nested deeper than %d", ErrMalformed, MaxDepth)
	}
	n, err := docLen(b)
	if err != nil {
		return nil, 0, err
	}
	if b[n-1] != 0 {
		return nil, 0, fmt.Errorf("%w: document not terminated", ErrMalformed)
	}
	body := b[4 : n-1]
	var d Doc
	for len(body) > 0 {
		typ := body[0]
		i := bytes.IndexByte(body[1:], 0)
		if i < 0 {
			return nil, 0, fmt.Errorf("%w: element name not terminated", ErrMalformed)
		}
		key := string(body[1 : 1+i])
		body = body[2+i:]
		v, used, err := decodeValue(typ, body, depth)
		if err != nil {
			return nil, 0, fmt.Errorf("element %q: %w", short(key), err)
		}
		body = body[used:]
		d = append(d, Elem{Key: key, Value: v})
	}
	return d, n, nil
}

// fixed are the sizes of the fixed-size types.
var fixed = map[byte]int{
	0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x06: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16, 0xFF: 0, 0x7F: 0,
}

func decodeValue(typ byte, b []byte, depth int) (any, int, error) {
	if size, ok := fixed[typ]; ok {
		if len(b) < size {
			return nil, 0, fmt.Errorf("%w: value of type 0x%02x cut short", ErrMalformed, typ)
		}
		switch typ {
		case 0x01:
			return math.Float64frombits(binary.LittleEndian.Uint64(b)), 8, nil
		case 0x08:
			if b[0] > 1 {
				return nil, 0, fmt.Errorf("%w: boolean %d", ErrMalformed, b[0])
			}
			return b[0] == 1, 1, nil
		case 0x0A, 0x06:
			return nil, 0, nil
		case 0x10:
			return int32(binary.LittleEndian.Uint32(b)), 4, nil
		case 0x12:
			return int64(binary.LittleEndian.Uint64(b)), 8, nil
		}
		return Opaque{Type: typ}, size, nil
	}
	switch typ {
	case 0x02, 0x0D, 0x0E: // string, JavaScript, symbol
		s, n, err := decodeString(b)
		if err != nil {
			return nil, 0, err
		}
		if typ != 0x02 {
			return Opaque{Type: typ}, n, nil
		}
		return s, n, nil
	case 0x03, 0x04:
		d, n, err := decodeDoc(b, depth+1)
		if err != nil {
			return nil, 0, err
		}
		if typ == 0x03 {
			return d, n, nil
		}
		arr := make([]any, len(d))
		for i, e := range d {
			arr[i] = e.Value
		}
		return arr, n, nil
	case 0x05:
		if len(b) < 5 {
			return nil, 0, fmt.Errorf("%w: binary cut short", ErrMalformed)
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 0 || n > len(b)-5 {
			return nil, 0, fmt.Errorf("%w: binary of %d bytes", ErrMalformed, n)
		}
		return append([]byte(nil), b[5:5+n]...), 5 + n, nil
	case 0x0B: // regular expression: two C strings
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return nil, 0, fmt.Errorf("%w: regular expression not terminated", ErrMalformed)
		}
		j := bytes.IndexByte(b[i+1:], 0)
		if j < 0 {
			return nil, 0, fmt.Errorf("%w: regular expression options not terminated", ErrMalformed)
		}
		return Opaque{Type: typ}, i + j + 2, nil
	case 0x0C: // DBPointer: string and ObjectId
		_, n, err := decodeString(b)
		if err != nil || len(b) < n+12 {
			return nil, 0, fmt.Errorf("%w: DBPointer cut short", ErrMalformed)
		}
		return Opaque{Type: typ}, n + 12, nil
	case 0x0F: // code with scope: total length, string, document
		if len(b) < 4 {
			return nil, 0, fmt.Errorf("%w: code with scope cut short", ErrMalformed)
		}
		total := int(int32(binary.LittleEndian.Uint32(b)))
		if total < 14 || total > len(b) {
			return nil, 0, fmt.Errorf("%w: code with scope of %d bytes", ErrMalformed, total)
		}
		_, n, err := decodeString(b[4:total])
		if err != nil {
			return nil, 0, err
		}
		if _, m, err := decodeDoc(b[4+n:total], depth+1); err != nil || 4+n+m != total {
			return nil, 0, fmt.Errorf("%w: code with scope", ErrMalformed)
		}
		return Opaque{Type: typ}, total, nil
	}
	return nil, 0, fmt.Errorf("%w: unknown type 0x%02x", ErrMalformed, typ)
}

// decodeString decodes a BSON string: length (with the NUL), bytes, NUL.
func decodeString(b []byte) (string, int, error) {
	if len(b) < 4 {
		return "", 0, fmt.Errorf("%w: string cut short", ErrMalformed)
	}
	n := int(int32(binary.LittleEndian.Uint32(b)))
	if n < 1 || n > len(b)-4 {
		return "", 0, fmt.Errorf("%w: string of %d bytes", ErrMalformed, n)
	}
	if b[4+n-1] != 0 {
		return "", 0, fmt.Errorf("%w: string not terminated", ErrMalformed)
	}
	return string(b[4 : 4+n-1]), 4 + n, nil
}

func short(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
