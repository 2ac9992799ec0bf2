package intel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// parseText reads one value per line (see Parse).
func parseText(br *bufio.Reader, c *collector) error {
	for line := 1; ; line++ {
		raw, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			c.read++
			c.problem(Problem{Line: line, Entry: string(raw[:40]), Reason: fmt.Sprintf("line longer than %d bytes", br.Size())})
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read the indicator file: %w", err)
			}
			continue
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read the indicator file: %w", err)
		}
		if len(raw) > 0 {
			if err := textLine(c, line, raw); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// textLine reads one line: a value and an optional description.
func textLine(c *collector, line int, raw []byte) error {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s[0] == '#' || s[0] == ';' || strings.HasPrefix(s, "//") {
		return nil
	}
	value, desc := s, ""
	if i := strings.IndexFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }); i >= 0 {
		value, desc = s[:i], strings.TrimSpace(s[i+1:])
		desc = strings.TrimSpace(strings.TrimLeft(desc, ",#;"))
	}
	c.read++
	_, err := c.add(entry{value: value, description: desc, confidence: -1}, Problem{Line: line})
	return err
}
