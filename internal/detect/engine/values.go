package engine

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// scalarText returns the text of a scalar event value: a string as it
// is, a number or boolean formatted into buf (the text then shares buf's
// memory and is valid until buf is written again). ok is false for nil,
// objects and lists.
func scalarText(v any, buf []byte) (string, []byte, bool) {
	switch t := v.(type) {
	case string:
		return t, buf, true
	case *string:
		return *t, buf, true
	case json.Number:
		return string(t), buf, true
	case bool:
		if t {
			return "true", buf, true
		}
		return "false", buf, true
	case int:
		buf = strconv.AppendInt(buf[:0], int64(t), 10)
	case int64:
		buf = strconv.AppendInt(buf[:0], t, 10)
	case int32:
		buf = strconv.AppendInt(buf[:0], int64(t), 10)
	case int16:
		buf = strconv.AppendInt(buf[:0], int64(t), 10)
	case int8:
		buf = strconv.AppendInt(buf[:0], int64(t), 10)
	case uint:
		buf = strconv.AppendUint(buf[:0], uint64(t), 10)
	case uint64:
		buf = strconv.AppendUint(buf[:0], t, 10)
	case uint32:
		buf = strconv.AppendUint(buf[:0], uint64(t), 10)
	case uint16:
		buf = strconv.AppendUint(buf[:0], uint64(t), 10)
	case uint8:
		buf = strconv.AppendUint(buf[:0], uint64(t), 10)
	case float64:
		buf = strconv.AppendFloat(buf[:0], t, 'f', -1, 64)
	case float32:
		buf = strconv.AppendFloat(buf[:0], float64(t), 'f', -1, 32)
	default:
		return "", buf, false
	}
	return unsafeString(buf), buf, true
}

// number is a numeric value: exact when isInt.
type number struct {
	isInt bool
	i     int64
	f     float64
}

// toNumber reads a numeric event value, or a string holding a number
// ("8080", " 0x1f ", "1.5").
func toNumber(v any) (number, bool) {
	switch t := v.(type) {
	case int:
		return number{isInt: true, i: int64(t), f: float64(t)}, true
	case int64:
		return number{isInt: true, i: t, f: float64(t)}, true
	case int32:
		return number{isInt: true, i: int64(t), f: float64(t)}, true
	case int16:
		return number{isInt: true, i: int64(t), f: float64(t)}, true
	case int8:
		return number{isInt: true, i: int64(t), f: float64(t)}, true
	case uint:
		return uintNumber(uint64(t)), true
	case uint64:
		return uintNumber(t), true
	case uint32:
		return number{isInt: true, i: int64(t), f: float64(t)}, true
	case uint16:
		return number{isInt: true, i: int64(t), f: float64(t)}, true
	case uint8:
		return number{isInt: true, i: int64(t), f: float64(t)}, true
	case float64:
		return floatNumber(t), true
	case float32:
		return floatNumber(float64(t)), true
	case json.Number:
		return parseNumberText(string(t))
	case string:
		return parseNumberText(t)
	case *string:
		return parseNumberText(*t)
	}
	return number{}, false
}

func uintNumber(u uint64) number {
	if u > math.MaxInt64 {
		return number{f: float64(u)}
	}
	return number{isInt: true, i: int64(u), f: float64(u)}
}

func floatNumber(f float64) number {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return number{isInt: true, i: int64(f), f: f}
	}
	return number{f: f}
}

// parseNumberText reads a number held in an event's string: a decimal
// integer (leading zeros are decimal), a hexadecimal one with 0x, or a
// decimal float. It does not allocate for valid input.
func parseNumberText(s string) (number, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return number{}, false
	}
	if !looksNumeric(s) {
		// strconv's errors allocate: most strings are not numbers.
		return number{}, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		i, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return number{}, false
		}
		return number{isInt: true, i: i, f: float64(i)}, true
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{isInt: true, i: i, f: float64(i)}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) && !strings.ContainsAny(body, "0123456789") {
		return number{}, false
	}
	return floatNumber(f), true
}

// compare returns -1, 0 or 1 as a is less than, equal to or greater
// than b.
func (a number) compare(b number) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}

// anyScalar calls m.matchScalar for v, or for each element of a list
// v, until one matches.
func anyScalar(s *scratch, v any, m scalarMatcher) bool {
	switch t := v.(type) {
	case nil:
		return false
	case []any:
		for _, e := range t {
			if m.matchScalar(s, e) {
				return true
			}
		}
		return false
	case []string:
		// Boxing a string allocates: pass a pointer to a scratch copy.
		if s.depth >= len(s.elems) {
			return false
		}
		slot := &s.elems[s.depth]
		s.depth++
		defer func() { s.depth-- }()
		for _, e := range t {
			*slot = e
			if m.matchScalar(s, slot) {
				return true
			}
		}
		return false
	case map[string]any:
		return false
	case *projection:
		// The values of a field of a list's objects: any of them, and
		// any element of those that are lists.
		return t.each(func(x any) bool { return anyScalar(s, x, m) })
	case string, *string, bool, int, int64, float64, json.Number:
		return m.matchScalar(s, v)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		for i := 0; i < rv.Len(); i++ {
			if m.matchScalar(s, rv.Index(i).Interface()) {
				return true
			}
		}
		return false
	}
	return m.matchScalar(s, v)
}

// element returns element i of a list value; an element of a []string
// is copied into *str and returned as str (boxing a string allocates).
func element(v any, i int, str *string) (any, bool) {
	switch t := v.(type) {
	case []any:
		if i < len(t) {
			return t[i], true
		}
		return nil, false
	case []string:
		if i < len(t) {
			*str = t[i]
			return str, true
		}
		return nil, false
	case nil, string, map[string]any, *projection:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && i < rv.Len() {
		return rv.Index(i).Interface(), true
	}
	return nil, false
}

// projection is the value of a field of the objects of a list
// (process.stdio.transport is the transport of each element of
// process.stdio): the list of the values of the objects that have the
// field, as Elasticsearch reads an array of objects. src is the list,
// or the projection of the field above when lists are nested.
type projection struct {
	src  any
	leaf string
}

// each calls fn with the field's value in each object that has it,
// until fn returns true, and reports whether it did.
func (p *projection) each(fn func(any) bool) bool {
	return eachObject(p.src, func(m map[string]any) bool {
		v, ok := m[p.leaf]
		return ok && fn(v)
	})
}

// eachObject calls fn with each object of a list (or of the values of
// a projection, objects or lists of objects), until fn returns true,
// and reports whether it did.
func eachObject(v any, fn func(map[string]any) bool) bool {
	switch t := v.(type) {
	case []any:
		for _, x := range t {
			switch m := x.(type) {
			case map[string]any:
				if fn(m) {
					return true
				}
			case event.Event:
				if fn(m) {
					return true
				}
			case []any, []map[string]any:
				// A list of lists is read flat.
				if eachObject(m, fn) {
					return true
				}
			}
		}
	case []map[string]any:
		for _, m := range t {
			if fn(m) {
				return true
			}
		}
	case []event.Event:
		for _, m := range t {
			if fn(m) {
				return true
			}
		}
	case *projection:
		return t.each(func(x any) bool {
			switch m := x.(type) {
			case map[string]any:
				return fn(m)
			case event.Event:
				return fn(m)
			}
			return eachObject(x, fn)
		})
	}
	return false
}

// hasObject reports whether a value is a list holding an object.
func hasObject(v any) bool {
	return eachObject(v, func(map[string]any) bool { return true })
}

// looksNumeric reports whether s has the shape of a number: a sign, then
// 0x and hex digits, or digits with at most one point and an exponent.
func looksNumeric(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		for _, c := range []byte(s[i+2:]) {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	digits, point, exp := 0, false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point && !exp:
			point = true
		case (c == 'e' || c == 'E') && digits > 0 && !exp:
			exp = true
			if i+1 < len(s) && (s[i+1] == '+' || s[i+1] == '-') {
				i++
			}
		default:
			return false
		}
	}
	return digits > 0
}
