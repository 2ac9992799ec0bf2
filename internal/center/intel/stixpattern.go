package intel

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// stixComparison is one "object-type:property = 'value'" of a STIX
// pattern.
type stixComparison struct {
	Object   string // ipv4-addr, file ...
	Property string // value, hashes.SHA-256 ... (quotes removed)
	Value    string
}

// Path is the comparison's object path as written without quotes
// ("file:hashes.SHA-256").
func (c stixComparison) Path() string { return c.Object + ":" + c.Property }

// Bounds of a pattern.
const (
	maxPatternDepth       = 32
	maxPatternComparisons = 10_000
)

// parseSTIXPattern reads a STIX 2.1 pattern that is a disjunction of
// equality comparisons: observation expressions ("[...]") joined by OR,
// each a comparison expression of "path = 'string'" (or "path IN
// ('a', 'b')") joined by OR, with parentheses anywhere. Anything that
// narrows a match — AND, FOLLOWEDBY, NOT, the other operators, the
// qualifiers WITHIN, REPEATS, START/STOP — is refused with an error
// naming it: importing a part of such a pattern as an indicator would
// match more than the pattern does.
func parseSTIXPattern(s string) ([]stixComparison, error) {
	p := &patternParser{s: s}
	if err := p.pattern(0); err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, p.errorf("unexpected %s", p.rest())
	}
	if len(p.out) == 0 {
		return nil, errors.New("empty pattern")
	}
	return p.out, nil
}

// patternParser is a recursive-descent parser over the pattern text.
type patternParser struct {
	s   string
	i   int
	out []stixComparison
}

func (p *patternParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at %d: %s", p.i, fmt.Sprintf(format, args...))
}

// rest quotes the text from the position on, shortened, for errors; at
// the end it says so.
func (p *patternParser) rest() string {
	r := p.s[p.i:]
	if r == "" {
		return "the end of the pattern"
	}
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return strconv.Quote(r)
}

func (p *patternParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// peekByte returns the next byte after white space (0 at the end).
func (p *patternParser) peekByte() byte {
	p.space()
	if p.i >= len(p.s) {
		return 0
	}
	return p.s[p.i]
}

// word reads an upper- or lower-case word without consuming it.
func (p *patternParser) word() string {
	p.space()
	j := p.i
	for j < len(p.s) && (p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] >= 'a' && p.s[j] <= 'z') {
		j++
	}
	return p.s[p.i:j]
}

// narrowing names the keywords refused and why.
var narrowing = map[string]string{
	"AND":        "AND is not supported: only comparisons joined by OR are",
	"FOLLOWEDBY": "FOLLOWEDBY is not supported: only observations joined by OR are",
	"WITHIN":     "the qualifier WITHIN is not supported",
	"REPEATS":    "the qualifier REPEATS is not supported",
	"START":      "the qualifier START ... STOP is not supported",
	"STOP":       "the qualifier STOP is not supported",
}

// pattern := observation { OR observation }
func (p *patternParser) pattern(depth int) error {
	if depth > maxPatternDepth {
		return p.errorf("nested deeper than %d", maxPatternDepth)
	}
	for {
		if err := p.observation(depth); err != nil {
			return err
		}
		w := p.word()
		if why, ok := narrowing[w]; ok {
			return p.errorf("%s", why)
		}
		if w != "OR" {
			return nil
		}
		p.i += len(w)
	}
}

// observation := "[" comparisons "]" | "(" pattern ")"
func (p *patternParser) observation(depth int) error {
	switch p.peekByte() {
	case '[':
		p.i++
		if err := p.comparisons(depth + 1); err != nil {
			return err
		}
		if p.peekByte() != ']' {
			return p.errorf("want ']', not %s", p.rest())
		}
		p.i++
		return nil
	case '(':
		p.i++
		if err := p.pattern(depth + 1); err != nil {
			return err
		}
		if p.peekByte() != ')' {
			return p.errorf("want ')', not %s", p.rest())
		}
		p.i++
		return nil
	case 0:
		return p.errorf("pattern ends where an observation ('[') is expected")
	}
	return p.errorf("want an observation ('['), not %s", p.rest())
}

// comparisons := term { OR term }; term := "(" comparisons ")" | comparison
func (p *patternParser) comparisons(depth int) error {
	if depth > maxPatternDepth {
		return p.errorf("nested deeper than %d", maxPatternDepth)
	}
	for {
		if p.peekByte() == '(' {
			p.i++
			if err := p.comparisons(depth + 1); err != nil {
				return err
			}
			if p.peekByte() != ')' {
				return p.errorf("want ')', not %s", p.rest())
			}
			p.i++
		} else if err := p.comparison(); err != nil {
			return err
		}
		w := p.word()
		if why, ok := narrowing[w]; ok {
			return p.errorf("%s", why)
		}
		if w != "OR" {
			return nil
		}
		p.i += len(w)
	}
}

// comparison := path ( "=" string | "IN" "(" string { "," string } ")" )
func (p *patternParser) comparison() error {
	if w := p.word(); w == "NOT" || w == "EXISTS" {
		return p.errorf("%s is not supported", w)
	}
	object, property, err := p.objectPath()
	if err != nil {
		return err
	}
	op := p.operator()
	switch op {
	case "=":
		v, err := p.stringLiteral()
		if err != nil {
			return err
		}
		return p.emit(stixComparison{Object: object, Property: property, Value: v})
	case "IN":
		if p.peekByte() != '(' {
			return p.errorf("IN wants a list in parentheses")
		}
		p.i++
		for {
			v, err := p.stringLiteral()
			if err != nil {
				return err
			}
			if err := p.emit(stixComparison{Object: object, Property: property, Value: v}); err != nil {
				return err
			}
			switch p.peekByte() {
			case ',':
				p.i++
				continue
			case ')':
				p.i++
				return nil
			}
			return p.errorf("want ',' or ')' in the IN list, not %s", p.rest())
		}
	case "":
		return p.errorf("want an operator after %s:%s, not %s", object, property, p.rest())
	}
	return p.errorf("operator %s is not supported: only = and IN are", op)
}

func (p *patternParser) emit(c stixComparison) error {
	if len(p.out) >= maxPatternComparisons {
		return p.errorf("more than %d comparisons", maxPatternComparisons)
	}
	p.out = append(p.out, c)
	return nil
}

// operator reads a comparison operator ("" when there is none).
func (p *patternParser) operator() string {
	p.space()
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(p.s[p.i:], op) {
			p.i += len(op)
			return op
		}
	}
	w := p.word()
	switch w {
	case "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "NOT":
		p.i += len(w)
		return w
	}
	return ""
}

// objectPath reads "type:prop.prop2['x'][0].'quoted'" and returns the type
// and the property path with quotes and list indexes removed.
func (p *patternParser) objectPath() (string, string, error) {
	p.space()
	start := p.i
	for p.i < len(p.s) && isPathChar(p.s[p.i]) {
		p.i++
	}
	object := p.s[start:p.i]
	if object == "" || p.i >= len(p.s) || p.s[p.i] != ':' {
		p.i = start
		return "", "", p.errorf("want an object path (type:property), not %s", p.rest())
	}
	p.i++
	var b strings.Builder
	for first := true; ; first = false {
		if !first {
			if p.i >= len(p.s) || p.s[p.i] != '.' {
				break
			}
			p.i++
			b.WriteByte('.')
		}
		if p.i < len(p.s) && p.s[p.i] == '\'' {
			v, err := p.quoted()
			if err != nil {
				return "", "", err
			}
			if v == "" {
				return "", "", p.errorf("empty property in the object path")
			}
			b.WriteString(v)
		} else {
			j := p.i
			for p.i < len(p.s) && isPathChar(p.s[p.i]) {
				p.i++
			}
			if p.i == j {
				return "", "", p.errorf("empty property in the object path")
			}
			b.WriteString(p.s[j:p.i])
		}
		// List indexes: [0], [*].
		for p.i < len(p.s) && p.s[p.i] == '[' {
			j := p.i + 1
			for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '*') {
				j++
			}
			if j == p.i+1 || j >= len(p.s) || p.s[j] != ']' {
				return "", "", p.errorf("unclosed list index: want [number] or [*]")
			}
			p.i = j + 1
		}
	}
	return object, b.String(), nil
}

func isPathChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// stringLiteral reads a string in single quotes; other literals
// (numbers, timestamps, hex and binary strings, booleans) are refused.
func (p *patternParser) stringLiteral() (string, error) {
	if c := p.peekByte(); c != '\'' {
		if c == 0 {
			return "", p.errorf("pattern ends where a string is expected")
		}
		return "", p.errorf("want a string in quotes, not %s", p.rest())
	}
	return p.quoted()
}

// quoted reads a string in single quotes at the position; a backslash
// escapes a quote or a backslash.
func (p *patternParser) quoted() (string, error) {
	start := p.i
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\\':
			if p.i+1 >= len(p.s) || p.s[p.i+1] != '\'' && p.s[p.i+1] != '\\' {
				return "", p.errorf("bad escape in a string: only \\' and \\\\")
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
			continue
		case '\'':
			p.i++
			return b.String(), nil
		}
		b.WriteByte(c)
		p.i++
	}
	p.i = start
	return "", p.errorf("unterminated string")
}

// stixHashTypes maps the hash names of file:hashes to types.
var stixHashTypes = map[string]store.IndicatorType{
	"MD5": store.IndicatorMD5, "SHA-1": store.IndicatorSHA1, "SHA1": store.IndicatorSHA1,
	"SHA-256": store.IndicatorSHA256, "SHA256": store.IndicatorSHA256,
}

// indicatorType maps a comparison's object path to an indicator type;
// ok is false for paths that hold no indicator of ours. The type is ""
// (detect) for network-traffic references, which may name an address or
// a domain.
func (c stixComparison) indicatorType() (store.IndicatorType, bool) {
	switch c.Object {
	case "ipv4-addr", "ipv6-addr":
		return store.IndicatorIP, c.Property == "value"
	case "domain-name":
		return store.IndicatorDomain, c.Property == "value"
	case "url":
		return store.IndicatorURL, c.Property == "value"
	case "file", "artifact":
		name, ok := strings.CutPrefix(c.Property, "hashes.")
		if !ok {
			return "", false
		}
		t, ok := stixHashTypes[strings.ToUpper(name)]
		return t, ok
	case "network-traffic":
		return "", c.Property == "src_ref.value" || c.Property == "dst_ref.value"
	}
	return "", false
}
