package facts

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// maxOSRelease bounds the os-release file read; real ones are under 1 KiB.
const maxOSRelease = 64 << 10

// ParseOSRelease parses an os-release(5) file: KEY=value lines, values
// optionally in single or double quotes, backslash escapes inside double
// quotes, comments and blank lines ignored. Lines that are not
// assignments are skipped; the first error is returned together with
// what could be read.
func ParseOSRelease(data []byte) (map[string]string, error) {
	if len(data) > maxOSRelease {
		return nil, fmt.Errorf("os-release: %d bytes, more than %d", len(data), maxOSRelease)
	}
	out := map[string]string{}
	var firstErr error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxOSRelease)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok || !validKey(key) {
			if firstErr == nil {
				firstErr = fmt.Errorf("os-release line %d: not KEY=value", n)
			}
			continue
		}
		v, err := unquote(raw)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("os-release line %d: %w", n, err)
			}
			continue
		}
		out[key] = v
	}
	if err := sc.Err(); err != nil && firstErr == nil {
		firstErr = fmt.Errorf("os-release: %w", err)
	}
	return out, firstErr
}

// validKey accepts shell variable names.
func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// unquote decodes one value as a shell would for the forms os-release
// allows.
func unquote(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	switch q := s[0]; q {
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' {
			return "", fmt.Errorf("unterminated single quote")
		}
		return s[1 : len(s)-1], nil
	case '"':
		if len(s) < 2 || s[len(s)-1] != '"' {
			return "", fmt.Errorf("unterminated double quote")
		}
		var b strings.Builder
		body := s[1 : len(s)-1]
		for i := 0; i < len(body); i++ {
			c := body[i]
			if c == '\\' && i+1 < len(body) && strings.IndexByte("\"\\$`", body[i+1]) >= 0 {
				i++
				c = body[i]
			} else if c == '"' {
				return "", fmt.Errorf("unescaped double quote inside a value")
			}
			b.WriteByte(c)
		}
		return b.String(), nil
	}
	if strings.ContainsAny(s, " \t\"'`$\\") {
		return "", fmt.Errorf("unquoted value with special characters")
	}
	return s, nil
}
