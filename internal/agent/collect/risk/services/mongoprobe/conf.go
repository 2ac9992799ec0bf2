package mongoprobe

import (
	"errors"
	"fmt"
	"strings"
)

// ErrConfig is wrapped by the errors of configuration files that cannot
// be read.
var ErrConfig = errors.New("malformed mongod configuration")

// Config formats.
const (
	FormatYAML = "yaml"
	FormatINI  = "ini" // before MongoDB 2.6: "auth = true"
)

// Conf is what a mongod configuration file sets: its scalar values by
// dotted path ("security.authorization", "net.bindIp"), keys as
// written. Only the subset of YAML that configuration files use is read:
// block mappings by indentation, flow mappings on one line, plain and
// quoted scalars, comments. Block sequences and multi-line scalars are
// passed over (no setting the checks read takes one).
type Conf struct {
	Format string
	Values map[string]string
	// Lines maps each path to the line that sets it.
	Lines map[string]int
}

// maxConfLines bounds the lines read.
const maxConfLines = 100000

// ParseConf reads a mongod configuration file in YAML or, when its first
// setting is "name = value", the older INI format.
func ParseConf(data []byte) (*Conf, error) {
	lines := strings.Split(string(data), "\n")
	if len(lines) > maxConfLines {
		return nil, fmt.Errorf("%w: more than %d lines", ErrConfig, maxConfLines)
	}
	if isINI(lines) {
		return parseINI(lines)
	}
	return parseYAML(lines)
}

func isINI(lines []string) bool {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' || l == "---" {
			continue
		}
		eq, colon := strings.IndexByte(l, '='), strings.IndexByte(l, ':')
		return eq > 0 && (colon < 0 || eq < colon)
	}
	return false
}

func parseINI(lines []string) (*Conf, error) {
	c := &Conf{Format: FormatINI, Values: map[string]string{}, Lines: map[string]int{}}
	for n, l := range lines {
		l = strings.TrimSpace(strings.TrimSuffix(l, "\r"))
		if l == "" || l[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return nil, fmt.Errorf("%w: line %d: not name = value", ErrConfig, n+1)
		}
		k = strings.TrimSpace(k)
		c.Values[k] = strings.TrimSpace(v)
		c.Lines[k] = n + 1
	}
	return c, nil
}

// frame is an open block mapping: its indentation and dotted path.
type frame struct {
	indent int
	path   string
}

func parseYAML(lines []string) (*Conf, error) {
	c := &Conf{Format: FormatYAML, Values: map[string]string{}, Lines: map[string]int{}}
	stack := []frame{{indent: -1}}
	skipAbove := -1 // indentation of a multi-line scalar being passed over
	for n, raw := range lines {
		raw = strings.TrimSuffix(raw, "\r")
		body := strings.TrimLeft(raw, " ")
		indent := len(raw) - len(body)
		if strings.HasPrefix(body, "\t") {
			return nil, fmt.Errorf("%w: line %d: tab in indentation", ErrConfig, n+1)
		}
		body = stripComment(body)
		if strings.TrimSpace(body) == "" {
			continue
		}
		if skipAbove >= 0 {
			if indent > skipAbove {
				continue
			}
			skipAbove = -1
		}
		if indent == 0 && (body == "---" || body == "...") {
			stack = stack[:1]
			continue
		}
		for len(stack) > 1 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		parent := stack[len(stack)-1].path
		if strings.HasPrefix(body, "- ") || body == "-" {
			continue // an item of a block sequence
		}
		key, val, err := splitKey(body)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrConfig, n+1, err)
		}
		p := join(parent, key)
		switch {
		case val == "":
			stack = append(stack, frame{indent: indent, path: p})
		case val == "|" || val == ">" || strings.HasPrefix(val, "|") || strings.HasPrefix(val, ">"):
			skipAbove = indent
		case strings.HasPrefix(val, "{"):
			if err := c.flowMap(p, val, n+1, 0); err != nil {
				return nil, fmt.Errorf("%w: line %d: %w", ErrConfig, n+1, err)
			}
		case strings.HasPrefix(val, "["):
			if !strings.HasSuffix(val, "]") {
				return nil, fmt.Errorf("%w: line %d: flow sequence not closed on its line", ErrConfig, n+1)
			}
			c.set(p, strings.TrimSpace(val[1:len(val)-1]), n+1)
		default:
			s, err := scalar(val)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %w", ErrConfig, n+1, err)
			}
			c.set(p, s, n+1)
		}
	}
	return c, nil
}

func (c *Conf) set(path, v string, line int) {
	c.Values[path] = v
	c.Lines[path] = line
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// stripComment removes a comment: '#' at the start or after a blank,
// outside quotes.
func stripComment(s string) string {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return strings.TrimRight(s[:i], " \t")
		}
	}
	return strings.TrimRight(s, " \t")
}

// splitKey splits "key: value" (the key plain or quoted).
func splitKey(s string) (key, val string, err error) {
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", "", errors.New("quoted key not closed")
		}
		key, s = s[1:1+end], s[2+end:]
		if !strings.HasPrefix(s, ":") {
			return "", "", errors.New("no ':' after the key")
		}
		return key, strings.TrimSpace(s[1:]), nil
	}
	i := strings.Index(s, ": ")
	if i < 0 {
		if strings.HasSuffix(s, ":") {
			return strings.TrimSpace(s[:len(s)-1]), "", nil
		}
		return "", "", errors.New("not key: value")
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+2:]), nil
}

// scalar unquotes a scalar value.
func scalar(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch v[0] {
	case '\'':
		if len(v) < 2 || v[len(v)-1] != '\'' {
			return "", errors.New("single-quoted value not closed")
		}
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'"), nil
	case '"':
		if len(v) < 2 || v[len(v)-1] != '"' {
			return "", errors.New("double-quoted value not closed")
		}
		inner := v[1 : len(v)-1]
		var b strings.Builder
		for i := 0; i < len(inner); i++ {
			if inner[i] == '\\' && i+1 < len(inner) {
				i++
				switch inner[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(inner[i])
				}
				continue
			}
			b.WriteByte(inner[i])
		}
		return b.String(), nil
	case '&', '*', '!':
		return "", errors.New("anchors, aliases and tags are not read")
	}
	return v, nil
}

// flowMap reads "{a: b, c: {d: e}}" under path.
func (c *Conf) flowMap(path, v string, line, depth int) error {
	if depth > 8 {
		return errors.New("flow mappings nested too deep")
	}
	if !strings.HasPrefix(v, "{") || !strings.HasSuffix(v, "}") {
		return errors.New("flow mapping not closed on its line")
	}
	items, err := splitFlow(v[1 : len(v)-1])
	if err != nil {
		return err
	}
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		k, val, err := splitKey(it)
		if err != nil {
			return err
		}
		p := join(path, k)
		switch {
		case strings.HasPrefix(val, "{"):
			if err := c.flowMap(p, val, line, depth+1); err != nil {
				return err
			}
		case strings.HasPrefix(val, "["):
			if !strings.HasSuffix(val, "]") {
				return errors.New("flow sequence not closed")
			}
			c.set(p, strings.TrimSpace(val[1:len(val)-1]), line)
		default:
			s, err := scalar(val)
			if err != nil {
				return err
			}
			c.set(p, s, line)
		}
	}
	return nil
}

// splitFlow splits a flow collection's inside at its top-level commas.
func splitFlow(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '{' || ch == '[':
			depth++
		case ch == '}' || ch == ']':
			depth--
			if depth < 0 {
				return nil, errors.New("unbalanced brackets")
			}
		case ch == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if depth != 0 || quote != 0 {
		return nil, errors.New("unbalanced brackets or quotes")
	}
	return append(out, s[start:]), nil
}

// Authorization tells whether the file turns client authorization on,
// and the setting that says so ("security.authorization", "auth" ...; ""
// when nothing does and MongoDB's default, off, holds). A key file
// (internal authentication) turns it on too.
func (c *Conf) Authorization() (enabled bool, setting string) {
	if c.Format == FormatINI {
		for _, k := range []string{"noauth"} {
			if isTrue(c.Values[k]) {
				return false, k
			}
		}
		for _, k := range []string{"auth", "keyFile"} {
			if v, ok := c.Values[k]; ok && (k == "keyFile" && v != "" || isTrue(v)) {
				return true, k
			}
		}
		return false, ""
	}
	if v, ok := c.Values["security.authorization"]; ok {
		return strings.EqualFold(v, "enabled"), "security.authorization"
	}
	if v := c.Values["security.keyFile"]; v != "" {
		return true, "security.keyFile"
	}
	if v := c.Values["security.clusterAuthMode"]; strings.EqualFold(v, "x509") || strings.EqualFold(v, "sendX509") {
		return true, "security.clusterAuthMode"
	}
	return false, ""
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}
