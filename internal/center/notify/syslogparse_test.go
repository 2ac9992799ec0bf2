package notify

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// parsedSyslog is an RFC 5424 message as the test parser reads it.
type parsedSyslog struct {
	pri                              int
	timestamp                        string
	hostname, appName, procID, msgID string
	sd                               []sdElement
	msg                              string
	bom                              bool
}

// param returns the values of a structured data parameter.
func (p parsedSyslog) param(name string) []string {
	var out []string
	for _, e := range p.sd {
		for _, pr := range e.params {
			if pr.name == name {
				out = append(out, pr.value)
			}
		}
	}
	return out
}

var timestampPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$`)

// parseRFC5424 checks b against the grammar of RFC 5424 section 6 and
// returns its parts, unescaping the parameter values.
func parseRFC5424(b []byte) (parsedSyslog, error) {
	var p parsedSyslog
	s := string(b)
	if !strings.HasPrefix(s, "<") {
		return p, errors.New("no PRI")
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return p, errors.New("bad PRI")
	}
	pri := s[1:end]
	if strings.Trim(pri, "0123456789") != "" || (len(pri) > 1 && pri[0] == '0') {
		return p, fmt.Errorf("bad PRIVAL %q", pri)
	}
	p.pri, _ = strconv.Atoi(pri)
	if p.pri > 191 {
		return p, fmt.Errorf("PRIVAL %d > 191", p.pri)
	}
	s = s[end+1:]
	if !strings.HasPrefix(s, "1 ") {
		return p, errors.New("VERSION is not 1")
	}
	s = s[2:]
	fields := make([]string, 5)
	limits := []int{0, 255, 48, 128, 32}
	for i := range fields {
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			return p, fmt.Errorf("header field %d: missing SP", i)
		}
		f := s[:sp]
		s = s[sp+1:]
		if f == "" {
			return p, fmt.Errorf("header field %d empty", i)
		}
		if i == 0 {
			if f != "-" {
				if !timestampPattern.MatchString(f) {
					return p, fmt.Errorf("bad TIMESTAMP %q", f)
				}
				if _, err := time.Parse(time.RFC3339Nano, f); err != nil {
					return p, fmt.Errorf("bad TIMESTAMP %q: %v", f, err)
				}
			}
		} else if !printASCII(f, limits[i]) {
			return p, fmt.Errorf("header field %d %q: not 1*%d PRINTUSASCII", i, f, limits[i])
		}
		fields[i] = f
	}
	p.timestamp, p.hostname, p.appName, p.procID, p.msgID = fields[0], fields[1], fields[2], fields[3], fields[4]
	// STRUCTURED-DATA
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	} else {
		if !strings.HasPrefix(s, "[") {
			return p, errors.New("STRUCTURED-DATA is neither - nor [")
		}
		for strings.HasPrefix(s, "[") {
			e, rest, err := parseSDElement(s[1:])
			if err != nil {
				return p, err
			}
			p.sd = append(p.sd, e)
			s = rest
		}
	}
	if s == "" {
		return p, nil
	}
	if s[0] != ' ' {
		return p, errors.New("no SP before MSG")
	}
	s = s[1:]
	if strings.HasPrefix(s, utf8BOM) {
		p.bom = true
		s = s[len(utf8BOM):]
		if !utf8.ValidString(s) {
			return p, errors.New("MSG after BOM is not UTF-8")
		}
	}
	p.msg = s
	return p, nil
}

func validSDName(s string) bool {
	return printASCII(s, 32) && !strings.ContainsAny(s, "= ]\"")
}

// parseSDElement reads SD-ID *(SP SD-PARAM) "]" after the "[".
func parseSDElement(s string) (sdElement, string, error) {
	var e sdElement
	i := strings.IndexAny(s, " ]")
	if i < 0 {
		return e, "", errors.New("unterminated SD-ELEMENT")
	}
	e.id = s[:i]
	if !validSDName(e.id) {
		return e, "", fmt.Errorf("bad SD-ID %q", e.id)
	}
	s = s[i:]
	for {
		if strings.HasPrefix(s, "]") {
			return e, s[1:], nil
		}
		if !strings.HasPrefix(s, " ") {
			return e, "", errors.New("no SP before SD-PARAM")
		}
		s = s[1:]
		eq := strings.Index(s, `="`)
		if eq < 0 {
			return e, "", errors.New(`no =" in SD-PARAM`)
		}
		name := s[:eq]
		if !validSDName(name) {
			return e, "", fmt.Errorf("bad PARAM-NAME %q", name)
		}
		s = s[eq+2:]
		var val strings.Builder
		closed := false
		for j := 0; j < len(s); j++ {
			c := s[j]
			switch c {
			case '\\':
				if j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\' || s[j+1] == ']') {
					val.WriteByte(s[j+1])
					j++
				} else {
					val.WriteByte(c) // RFC 5424: other backslashes are kept
				}
			case '"':
				s, closed = s[j+1:], true
			case ']':
				return e, "", errors.New("unescaped ] in PARAM-VALUE")
			default:
				val.WriteByte(c)
			}
			if closed {
				break
			}
		}
		if !closed {
			return e, "", errors.New("unterminated PARAM-VALUE")
		}
		if !utf8.ValidString(val.String()) {
			return e, "", errors.New("PARAM-VALUE is not UTF-8")
		}
		e.params = append(e.params, sdParam{name, val.String()})
	}
}

// parseOctetFrames splits a TCP stream into RFC 6587 octet-counted
// frames; it returns the complete frames and the bytes left over.
func parseOctetFrames(b []byte) ([][]byte, []byte, error) {
	var out [][]byte
	for len(b) > 0 {
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			return out, b, nil
		}
		n, err := strconv.Atoi(string(b[:sp]))
		if err != nil || n <= 0 || b[0] == '0' {
			return nil, nil, fmt.Errorf("bad MSG-LEN %q", b[:sp])
		}
		if len(b) < sp+1+n {
			return out, b, nil
		}
		out = append(out, b[sp+1:sp+1+n])
		b = b[sp+1+n:]
	}
	return out, nil, nil
}

// parsedCEF is a CEF record as the test parser reads it.
type parsedCEF struct {
	version string
	// header is vendor, product, device version, class id, name and
	// severity.
	header [6]string
	ext    []sdParam
}

// extValue returns the value of an extension key.
func (c parsedCEF) extValue(key string) (string, bool) {
	for _, p := range c.ext {
		if p.name == key {
			return p.value, true
		}
	}
	return "", false
}

// parseCEF reads CEF:Version|Vendor|Product|Version|ClassID|Name|Severity|Extension,
// unescaping the header (\| and \\) and the extension (\= \\ \n \r).
func parseCEF(s string) (parsedCEF, error) {
	var c parsedCEF
	if !strings.HasPrefix(s, "CEF:") {
		return c, errors.New("no CEF: prefix")
	}
	s = s[len("CEF:"):]
	var fields []string
	var cur strings.Builder
	i := 0
	for ; i < len(s) && len(fields) < 7; i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '|' && s[i+1] != '\\') {
				return c, fmt.Errorf("bad escape in header at %d", i)
			}
			cur.WriteByte(s[i+1])
			i++
		case '|':
			fields = append(fields, cur.String())
			cur.Reset()
		case '\r', '\n':
			return c, errors.New("line break in header")
		default:
			cur.WriteByte(s[i])
		}
	}
	if len(fields) < 7 {
		return c, fmt.Errorf("%d header fields, want 8 with the extension", len(fields)+1)
	}
	c.version = fields[0]
	copy(c.header[:], fields[1:7])
	ext := s[i:]
	var err error
	c.ext, err = parseCEFExtension(ext)
	return c, err
}

func isCEFKeyChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.' || b == '[' || b == ']'
}

// parseCEFExtension splits key=value pairs: every unescaped '=' ends a
// key, which starts after a space (or at the start); a value ends at the
// space before the next key.
func parseCEFExtension(s string) ([]sdParam, error) {
	if s == "" {
		return nil, nil
	}
	var eqs []int
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '=' {
			eqs = append(eqs, i)
		}
	}
	if len(eqs) == 0 {
		return nil, errors.New("extension without key")
	}
	type span struct{ keyStart, eq int }
	spans := make([]span, len(eqs))
	for n, eq := range eqs {
		k := eq
		for k > 0 && isCEFKeyChar(s[k-1]) {
			k--
		}
		if k == eq {
			return nil, fmt.Errorf("empty key before = at %d", eq)
		}
		if k > 0 && s[k-1] != ' ' {
			return nil, fmt.Errorf("key at %d not after a space", k)
		}
		if n == 0 && k != 0 {
			return nil, errors.New("text before the first key")
		}
		spans[n] = span{k, eq}
	}
	out := make([]sdParam, len(spans))
	for n, sp := range spans {
		end := len(s)
		if n+1 < len(spans) {
			end = spans[n+1].keyStart - 1
		}
		if end < sp.eq+1 {
			return nil, fmt.Errorf("value of %s overlaps the next key", s[sp.keyStart:sp.eq])
		}
		v, err := unescapeCEFExtension(s[sp.eq+1 : end])
		if err != nil {
			return nil, err
		}
		out[n] = sdParam{s[sp.keyStart:sp.eq], v}
	}
	return out, nil
}

func unescapeCEFExtension(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			return "", errors.New("raw line break in extension value")
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", errors.New("trailing backslash")
		}
		i++
		switch s[i] {
		case '\\', '=':
			b.WriteByte(s[i])
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("bad escape \\%c", s[i])
		}
	}
	return b.String(), nil
}
