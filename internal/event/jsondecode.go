package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxJSONDepth bounds the nesting of objects and arrays that DecodeJSON
// accepts; the top-level object is level 1. Events nest a handful of
// levels (vigil.file.previous.hash is 4); the bound keeps the decoder's
// recursion, and the work of whoever walks the event, shallow.
// encoding/json allows 10000 levels: documents nested between 1001 and
// 10000 levels deep are the only JSON objects it accepts and DecodeJSON
// does not.
const MaxJSONDepth = 1000

// Errors of DecodeJSON and DecodeJSONNumbers; the message says where.
var (
	// ErrJSONSyntax is a document that is not JSON (what encoding/json
	// reports as a *json.SyntaxError).
	ErrJSONSyntax = errors.New("invalid JSON")
	// ErrJSONNotObject is valid JSON that is not an object: an array, a
	// string, a number, true, false or null.
	ErrJSONNotObject = errors.New("JSON document is not an object")
	// ErrJSONNumber is a number out of float64's range (1e400).
	ErrJSONNumber = errors.New("JSON number out of range")
	// ErrJSONTooDeep is nesting beyond MaxJSONDepth.
	ErrJSONTooDeep = errors.New("JSON nested too deeply")
)

// DecodeJSON parses data, one JSON object with optional white space
// around it, into an Event. The result is the one json.Unmarshal gives
// into an Event: objects are map[string]any, arrays []any (never nil),
// numbers float64, strings with their escapes resolved and invalid UTF-8
// or unpaired surrogates replaced by U+FFFD, the last of duplicate keys
// kept. It accepts what json.Unmarshal accepts, except that it also
// refuses a document that is not an object (null among them) and one
// nested deeper than MaxJSONDepth.
//
// Keys and short values common in events are shared, preallocated
// strings; every other string is a copy of its own, so that keeping one
// value keeps nothing else of data alive. It is safe for concurrent use.
func DecodeJSON(data []byte) (Event, error) {
	return decodeJSON(data, false)
}

// DecodeJSONNumbers is DecodeJSON with numbers as json.Number, as a
// json.Decoder with UseNumber gives them: integers above 2^53 stay exact
// and no number is out of range.
func DecodeJSONNumbers(data []byte) (Event, error) {
	return decodeJSON(data, true)
}

func decodeJSON(data []byte, numbers bool) (Event, error) {
	d := jsonDecoders.Get().(*jsonDecoder)
	d.data, d.pos, d.depth, d.numbers = data, 0, 0, numbers
	m, err := d.document()
	d.release()
	if err != nil {
		return nil, err
	}
	return m, nil
}

// jsonDecoders keeps decoders with their stacks between calls.
var jsonDecoders = sync.Pool{New: func() any { return new(jsonDecoder) }}

// maxPooledStack bounds the stacks of the decoders kept for reuse: a
// decoder whose stacks grew beyond it, on a document unlike events, is
// dropped.
const maxPooledStack = 4096

// jsonDecoder is the state of one DecodeJSON call.
type jsonDecoder struct {
	data    []byte
	pos     int
	depth   int
	numbers bool
	// members and items hold the members of the objects and the items
	// of the arrays being read, innermost last: an object's map or an
	// array's slice is made once its size is known.
	members []jsonMember
	items   []any
	// membersUsed and itemsUsed are the most members and items held.
	membersUsed, itemsUsed int
	// text is where escaped strings are resolved.
	text []byte
}

type jsonMember struct {
	key   string
	value any
}

// release drops what the decoder refers to and puts it back in the pool.
func (d *jsonDecoder) release() {
	d.data = nil
	// Members and items popped stay in the stacks until now: clear all
	// that were used.
	clear(d.members[:max(len(d.members), d.membersUsed)])
	clear(d.items[:max(len(d.items), d.itemsUsed)])
	d.membersUsed, d.itemsUsed = 0, 0
	d.members, d.items, d.text = d.members[:0], d.items[:0], d.text[:0]
	if cap(d.members) > maxPooledStack || cap(d.items) > maxPooledStack || cap(d.text) > MaxSize {
		return
	}
	jsonDecoders.Put(d)
}

// document reads the whole of data: one object.
func (d *jsonDecoder) document() (Event, error) {
	d.skipSpace()
	if d.pos == len(d.data) {
		return nil, d.syntaxError("unexpected end of JSON input")
	}
	if d.data[d.pos] != '{' {
		return nil, d.notObject()
	}
	m, err := d.object()
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return nil, d.syntaxError(fmt.Sprintf("invalid character %s after top-level value", quoteChar(d.data[d.pos])))
	}
	return m, nil
}

// notObject reads the document that is not an object, to tell a syntax
// error from valid JSON of another type.
func (d *jsonDecoder) notObject() error {
	start := d.pos
	d.numbers = true // the value is only checked: no number is out of range
	if _, err := d.value(); err != nil {
		return err
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.syntaxError(fmt.Sprintf("invalid character %s after top-level value", quoteChar(d.data[d.pos])))
	}
	kind := "a number"
	switch d.data[start] {
	case '[':
		kind = "an array"
	case '"':
		kind = "a string"
	case 't', 'f':
		kind = "a boolean"
	case 'n':
		kind = "null"
	}
	return fmt.Errorf("%w: it is %s", ErrJSONNotObject, kind)
}

// skipSpace skips what JSON counts as white space.
func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value reads one value at d.pos, which is past any white space.
func (d *jsonDecoder) value() (any, error) {
	if d.pos == len(d.data) {
		return nil, d.syntaxError("unexpected end of JSON input")
	}
	switch c := d.data[d.pos]; c {
	case '"':
		return d.stringValue()
	case '{':
		m, err := d.object()
		if err != nil {
			return nil, err
		}
		return m, nil
	case '[':
		return d.array()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return d.number()
		}
		return nil, d.syntaxError(fmt.Sprintf("invalid character %s looking for beginning of value", quoteChar(c)))
	}
}

// object reads an object; d.pos is at its '{'.
func (d *jsonDecoder) object() (map[string]any, error) {
	if d.depth++; d.depth > MaxJSONDepth {
		return nil, fmt.Errorf("%w: more than %d levels at offset %d", ErrJSONTooDeep, MaxJSONDepth, d.pos)
	}
	d.pos++
	mark := len(d.members)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return map[string]any{}, nil
	}
	for {
		if d.pos == len(d.data) {
			return nil, d.syntaxError("unexpected end of JSON input")
		}
		if c := d.data[d.pos]; c != '"' {
			return nil, d.syntaxError(fmt.Sprintf("invalid character %s looking for beginning of object key string", quoteChar(c)))
		}
		key, err := d.key()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos == len(d.data) {
			return nil, d.syntaxError("unexpected end of JSON input")
		}
		if c := d.data[d.pos]; c != ':' {
			return nil, d.syntaxError(fmt.Sprintf("invalid character %s after object key", quoteChar(c)))
		}
		d.pos++
		d.skipSpace()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.members = append(d.members, jsonMember{key, v})
		d.skipSpace()
		if d.pos == len(d.data) {
			return nil, d.syntaxError("unexpected end of JSON input")
		}
		c := d.data[d.pos]
		d.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			d.pos--
			return nil, d.syntaxError(fmt.Sprintf("invalid character %s after object key:value pair", quoteChar(c)))
		}
		d.skipSpace()
	}
	pending := d.members[mark:]
	m := make(map[string]any, len(pending))
	for _, kv := range pending {
		m[kv.key] = kv.value
	}
	d.membersUsed = max(d.membersUsed, len(d.members))
	d.members = d.members[:mark]
	d.depth--
	return m, nil
}

// array reads an array; d.pos is at its '['.
func (d *jsonDecoder) array() ([]any, error) {
	if d.depth++; d.depth > MaxJSONDepth {
		return nil, fmt.Errorf("%w: more than %d levels at offset %d", ErrJSONTooDeep, MaxJSONDepth, d.pos)
	}
	d.pos++
	mark := len(d.items)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return make([]any, 0), nil
	}
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.items = append(d.items, v)
		d.skipSpace()
		if d.pos == len(d.data) {
			return nil, d.syntaxError("unexpected end of JSON input")
		}
		c := d.data[d.pos]
		d.pos++
		if c == ']' {
			break
		}
		if c != ',' {
			d.pos--
			return nil, d.syntaxError(fmt.Sprintf("invalid character %s after array element", quoteChar(c)))
		}
		d.skipSpace()
	}
	pending := d.items[mark:]
	list := make([]any, len(pending))
	copy(list, pending)
	d.itemsUsed = max(d.itemsUsed, len(d.items))
	d.items = d.items[:mark]
	d.depth--
	return list, nil
}

// literal reads true, false or null.
func (d *jsonDecoder) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if d.pos == len(d.data) {
			return d.syntaxError("unexpected end of JSON input")
		}
		if c := d.data[d.pos]; c != word[i] {
			return d.syntaxError(fmt.Sprintf("invalid character %s in literal %s (expecting %s)", quoteChar(c), word, quoteChar(word[i])))
		}
		d.pos++
	}
	return nil
}

// maxExactDigits is the most decimal digits of an integer that float64
// holds exactly whatever they are (10^15 < 2^53).
const maxExactDigits = 15

// number reads a number with JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *jsonDecoder) number() (any, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := d.pos
	switch {
	case d.pos == len(d.data):
		return nil, d.syntaxError("unexpected end of JSON input")
	case d.data[d.pos] == '0':
		d.pos++
	case d.data[d.pos] >= '1' && d.data[d.pos] <= '9':
		d.skipDigits()
	default:
		return nil, d.syntaxError(fmt.Sprintf("invalid character %s in numeric literal", quoteChar(d.data[d.pos])))
	}
	integer := d.pos - digits
	plain := true
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		plain = false
		d.pos++
		if err := d.requireDigits("after decimal point in numeric literal"); err != nil {
			return nil, err
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		plain = false
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if err := d.requireDigits("in exponent of numeric literal"); err != nil {
			return nil, err
		}
	}
	text := d.data[start:d.pos]
	if d.numbers {
		return json.Number(text), nil
	}
	if plain && integer <= maxExactDigits {
		// What ParseFloat gives, without its general path: the integer
		// is exact in a float64.
		var n uint64
		for _, c := range d.data[digits:d.pos] {
			n = n*10 + uint64(c-'0')
		}
		if text[0] == '-' {
			f := float64(n)
			return -f, nil
		}
		if n < uint64(len(smallNumbers)) {
			return smallNumbers[n], nil
		}
		return float64(n), nil
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return nil, fmt.Errorf("%w: %s at offset %d", ErrJSONNumber, text, start)
	}
	return f, nil
}

// smallNumbers are the numbers 0 to 1023 as values: ports, exit codes
// and counts take no allocation.
var smallNumbers = func() (list [1024]any) {
	for i := range list {
		list[i] = float64(i)
	}
	return list
}()

func (d *jsonDecoder) skipDigits() {
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
}

// requireDigits reads one digit or more.
func (d *jsonDecoder) requireDigits(context string) error {
	if d.pos == len(d.data) {
		return d.syntaxError("unexpected end of JSON input")
	}
	if c := d.data[d.pos]; c < '0' || c > '9' {
		return d.syntaxError(fmt.Sprintf("invalid character %s %s", quoteChar(c), context))
	}
	d.skipDigits()
	return nil
}

// key reads an object key; d.pos is at its opening quote.
func (d *jsonDecoder) key() (string, error) {
	raw, escaped, err := d.quoted()
	if err != nil {
		return "", err
	}
	if !escaped {
		if v, ok := interned(raw); ok {
			return v.(string), nil
		}
	}
	return string(raw), nil
}

// stringValue reads a string value; d.pos is at its opening quote.
func (d *jsonDecoder) stringValue() (any, error) {
	raw, escaped, err := d.quoted()
	if err != nil {
		return nil, err
	}
	if !escaped {
		if v, ok := interned(raw); ok {
			return v, nil
		}
	}
	return string(raw), nil
}

// plainByte marks the bytes a string holds as they are: printable ASCII
// but the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// quoted reads a string; d.pos is at its opening quote. It returns the
// string's bytes: a part of data when they need no change (escaped is
// false), else its text resolved in d.text, valid until the next call.
func (d *jsonDecoder) quoted() (text []byte, escaped bool, err error) {
	start := d.pos + 1
	i := start
	for i < len(d.data) {
		c := d.data[i]
		if plainByte[c] {
			i++
			continue
		}
		if c == '"' {
			d.pos = i + 1
			return d.data[start:i], false, nil
		}
		if c < utf8.RuneSelf {
			break // a backslash or a control character
		}
		r, size := utf8.DecodeRune(d.data[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	d.text = append(d.text[:0], d.data[start:i]...)
	d.pos = i
	if err := d.resolve(); err != nil {
		return nil, false, err
	}
	return d.text, true, nil
}

// resolve appends the rest of the string at d.pos to d.text, its escapes
// resolved and its invalid UTF-8 replaced by U+FFFD, as encoding/json
// does, and moves past the closing quote.
func (d *jsonDecoder) resolve() error {
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return nil
		case c == '\\':
			if err := d.escape(); err != nil {
				return err
			}
		case c < 0x20:
			return d.syntaxError(fmt.Sprintf("invalid character %s in string literal", quoteChar(c)))
		case c < utf8.RuneSelf:
			d.text = append(d.text, c)
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			d.text = utf8.AppendRune(d.text, r)
			d.pos += size
		}
	}
	return d.syntaxError("unexpected end of JSON input")
}

// escape resolves the escape at d.pos.
func (d *jsonDecoder) escape() error {
	if d.pos+1 == len(d.data) {
		return d.syntaxError("unexpected end of JSON input")
	}
	c := d.data[d.pos+1]
	switch c {
	case '"', '\\', '/':
	case 'b':
		c = '\b'
	case 'f':
		c = '\f'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'u':
		r := hexEscape(d.data[d.pos:])
		if r < 0 {
			return d.badUnicodeEscape()
		}
		d.pos += 6
		if utf16.IsSurrogate(r) {
			// A surrogate counts only with its pair; alone it is
			// replaced and the escape after it read by itself.
			if pair := utf16.DecodeRune(r, hexEscape(d.data[d.pos:])); pair != unicode.ReplacementChar {
				r = pair
				d.pos += 6
			} else {
				r = unicode.ReplacementChar
			}
		}
		d.text = utf8.AppendRune(d.text, r)
		return nil
	default:
		d.pos++
		return d.syntaxError(fmt.Sprintf("invalid character %s in string escape code", quoteChar(c)))
	}
	d.text = append(d.text, c)
	d.pos += 2
	return nil
}

// badUnicodeEscape reports the \u escape at d.pos that is not followed by
// four hexadecimal digits.
func (d *jsonDecoder) badUnicodeEscape() error {
	for d.pos += 2; d.pos < len(d.data) && hexDigit(d.data[d.pos]) >= 0; d.pos++ {
	}
	if d.pos == len(d.data) {
		return d.syntaxError("unexpected end of JSON input")
	}
	return d.syntaxError(fmt.Sprintf("invalid character %s in \\u hexadecimal character escape", quoteChar(d.data[d.pos])))
}

// hexEscape returns the code of the \uXXXX escape that b starts with, or
// -1.
func hexEscape(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range b[2:6] {
		v := hexDigit(c)
		if v < 0 {
			return -1
		}
		r = r<<4 | v
	}
	return r
}

func hexDigit(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

func (d *jsonDecoder) syntaxError(msg string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrJSONSyntax, msg, d.pos)
}

// quoteChar formats c as encoding/json's errors do.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}
