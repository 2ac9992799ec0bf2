package parse

import (
	"strconv"
	"strings"
	"time"
)

// Parser parses the lines of one log file in order. It is not safe for
// concurrent use: it remembers the last time seen to infer the year of
// traditional timestamps, which carry none.
type Parser struct {
	// Location is the time zone of traditional timestamps; nil means
	// time.Local.
	Location *time.Location
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	last time.Time
}

// Last returns the time of the last line parsed, or the one given to
// SetLast.
func (p *Parser) Last() time.Time { return p.last }

// SetLast sets the time of the previous line, so that year inference
// continues where an earlier Parser of the same file stopped.
func (p *Parser) SetLast(t time.Time) { p.last = t }

// Year inference bounds. A traditional timestamp more than futureSlack
// after now belongs to the previous year; one more than rolloverGap
// before the previous line's time belongs to the next (December →
// January).
const (
	futureSlack = 48 * time.Hour
	rolloverGap = 7 * 24 * time.Hour
)

// Parse parses one line without its line ending.
func (p *Parser) Parse(line string) (Line, Status) {
	var l Line
	rest, ok := p.timestamp(line, &l)
	if !ok {
		return l, StatusNoHeader
	}
	// Host.
	i := strings.IndexByte(rest, ' ')
	if i <= 0 {
		return l, StatusNoHeader
	}
	l.Host, rest = rest[:i], rest[i+1:]
	// Tag: "prog[pid]: ", "prog: " or "prog(detail)[pid]: ".
	end := strings.Index(rest, ": ")
	if end <= 0 {
		if !strings.HasSuffix(rest, ":") || len(rest) < 2 {
			return l, StatusNoHeader
		}
		end = len(rest) - 1
	}
	tag := rest[:end]
	if end+2 <= len(rest) {
		l.Message = rest[end+2:]
	}
	if strings.IndexByte(tag, ' ') >= 0 {
		return l, StatusNoHeader
	}
	if j := strings.IndexByte(tag, '['); j >= 0 {
		if tag[len(tag)-1] != ']' {
			return l, StatusNoHeader
		}
		pid, err := strconv.Atoi(tag[j+1 : len(tag)-1])
		if err != nil || pid < 0 {
			return l, StatusNoHeader
		}
		l.PID, tag = pid, tag[:j]
	}
	if j := strings.IndexByte(tag, '('); j > 0 {
		tag = tag[:j] // "polkitd(authority=local)"
	}
	if tag == "" {
		return l, StatusNoHeader
	}
	l.Program = tag
	msg := l.Message
	if n, inner, ok := repeated(msg); ok {
		l.Repeat, msg = n, inner
	}
	r, st := ParseMessage(l.Program, msg)
	l.Record = r
	return l, st
}

// repeated unwraps rsyslog's "message repeated N times: [ msg]".
func repeated(msg string) (int, string, bool) {
	rest, ok := strings.CutPrefix(msg, "message repeated ")
	if !ok {
		return 0, "", false
	}
	i := strings.Index(rest, " times: [ ")
	if i <= 0 || !strings.HasSuffix(rest, "]") {
		return 0, "", false
	}
	n, err := strconv.Atoi(rest[:i])
	if err != nil || n <= 0 {
		return 0, "", false
	}
	return n, rest[i+len(" times: [ ") : len(rest)-1], true
}

// timestamp parses the line's timestamp into l.Time and returns the rest
// after the following space.
func (p *Parser) timestamp(line string, l *Line) (string, bool) {
	if len(line) >= 20 && isDigit(line[0]) && line[4] == '-' {
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			return "", false
		}
		t, err := time.Parse(time.RFC3339Nano, line[:i])
		if err != nil {
			return "", false
		}
		l.Time = t
		if t.After(p.last) {
			p.last = t
		}
		return line[i+1:], true
	}
	// "Nov 29 10:04:05 " or "Nov  9 10:04:05 ".
	if len(line) < 16 || line[3] != ' ' || line[6] != ' ' || line[9] != ':' || line[12] != ':' || line[15] != ' ' {
		return "", false
	}
	month := monthOf(line[:3])
	if month == 0 {
		return "", false
	}
	day := 0
	switch {
	case line[4] == ' ' && isDigit(line[5]):
		day = int(line[5] - '0')
	case isDigit(line[4]) && isDigit(line[5]):
		day = int(line[4]-'0')*10 + int(line[5]-'0')
	default:
		return "", false
	}
	hh, ok1 := twoDigits(line[7:9])
	mm, ok2 := twoDigits(line[10:12])
	ss, ok3 := twoDigits(line[13:15])
	if !ok1 || !ok2 || !ok3 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 {
		return "", false
	}
	l.Time = p.inferYear(month, day, hh, mm, ss)
	return line[16:], true
}

// inferYear gives a traditional timestamp its year: the previous line's
// year, or the current one for the first line; a time far in the future
// belongs to the year before, one far before the previous line to the
// year after.
func (p *Parser) inferYear(month time.Month, day, hh, mm, ss int) time.Time {
	loc := p.Location
	if loc == nil {
		loc = time.Local
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	n := now()
	ref := p.last
	if ref.IsZero() {
		ref = n
	}
	year := ref.In(loc).Year()
	t := time.Date(year, month, day, hh, mm, ss, 0, loc)
	if !p.last.IsZero() && t.Before(p.last.Add(-rolloverGap)) {
		t = time.Date(year+1, month, day, hh, mm, ss, 0, loc)
	}
	if limit := n.Add(futureSlack); t.After(limit) {
		year = n.In(loc).Year()
		t = time.Date(year, month, day, hh, mm, ss, 0, loc)
		if t.After(limit) {
			t = time.Date(year-1, month, day, hh, mm, ss, 0, loc)
		}
	}
	if t.After(p.last) {
		p.last = t
	}
	return t
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func monthOf(s string) time.Month {
	for i, m := range months {
		if s == m {
			return time.Month(i + 1)
		}
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func twoDigits(s string) (int, bool) {
	if len(s) != 2 || !isDigit(s[0]) || !isDigit(s[1]) {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}
