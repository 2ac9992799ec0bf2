// Package textfile holds what the line-oriented configuration parsers of
// the accounts and persist sensors share: iterating over numbered lines,
// and the bounded list of lines a parser skipped.
package textfile

import "bytes"

// Lines yields the lines of data with their 1-based numbers, without the
// '\n' (a '\r' before it is kept).
func Lines(data []byte) func(yield func(int, []byte) bool) {
	return func(yield func(int, []byte) bool) {
		n := 0
		for len(data) > 0 {
			n++
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			if !yield(n, line) {
				return
			}
		}
	}
}

// Blank reports whether line holds only blanks (spaces, tabs, '\r').
func Blank(line []byte) bool {
	return len(bytes.TrimLeft(line, " \t\r")) == 0
}

// Comment reports whether the first non-blank byte of line is c.
func Comment(line []byte, c byte) bool {
	t := bytes.TrimLeft(line, " \t")
	return len(t) > 0 && t[0] == c
}

// Malformed is one line a parser skipped.
type Malformed struct {
	// Line is the 1-based number of the (first physical) line.
	Line int
	// Reason says what is wrong, without quoting the line: some files
	// hold secrets.
	Reason string
}

// MaxMalformed bounds Problems.List.
const MaxMalformed = 32

// Problems counts the lines a parser skipped and keeps the first
// MaxMalformed of them.
type Problems struct {
	List    []Malformed
	Skipped int
}

// Skip records that line was skipped for reason.
func (p *Problems) Skip(line int, reason string) {
	p.Skipped++
	if len(p.List) < MaxMalformed {
		p.List = append(p.List, Malformed{Line: line, Reason: reason})
	}
}

// Logical joins physical lines ending in a backslash with the next one
// (the backslash and the line break become one space, as systemd, udev and
// sudo do) and yields each logical line with the number of its first
// physical line. A line of skip is dropped inside a continuation (systemd
// drops comments there); nil skips nothing.
func Logical(data []byte, skip func(line []byte) bool) func(yield func(int, []byte) bool) {
	return func(yield func(int, []byte) bool) {
		var cur []byte
		start := 0
		for n, line := range Lines(data) {
			line = bytes.TrimSuffix(line, []byte{'\r'})
			if cur != nil && skip != nil && skip(line) {
				continue
			}
			if cur == nil {
				start = n
			}
			if bytes.HasSuffix(line, []byte{'\\'}) && !bytes.HasSuffix(line, []byte{'\\', '\\'}) {
				cur = append(cur, line[:len(line)-1]...)
				cur = append(cur, ' ')
				continue
			}
			cur = append(cur, line...)
			if !yield(start, cur) {
				return
			}
			cur = nil
		}
		if cur != nil {
			yield(start, cur)
		}
	}
}
