package lynis

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Log is a parsed lynis.log: the tests in the order Lynis registered
// them, each with the lines it logged.
type Log struct {
	// Version is Lynis's version from the "Starting Lynis" line.
	Version string
	// Start and End are the times of the first and last lines.
	Start, End time.Time
	// Tests are the registered tests in order.
	Tests []Test
	index map[string]int
}

// Test is one registered test and what it logged.
type Test struct {
	ID          string
	Description string
	// Skipped reports "Skipped test"; SkipReason is its "Reason to skip".
	Skipped    bool
	SkipReason string
	// Lines are the messages the test logged after its header, without
	// their timestamps, up to the next "====" or test.
	Lines []string
	// Line is the header's line number in the log.
	Line int
}

// Test returns the test with that id, or nil when the log has none.
func (l *Log) Test(id string) *Test {
	if i, ok := l.index[id]; ok {
		return &l.Tests[i]
	}
	return nil
}

// Find returns the first line of the test holding every one of parts,
// and whether there is one.
func (t *Test) Find(parts ...string) (string, bool) {
	for _, line := range t.Lines {
		ok := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				ok = false
				break
			}
		}
		if ok {
			return line, true
		}
	}
	return "", false
}

// ReadLogFile parses the log file at path.
func ReadLogFile(path string) (*Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lynis log: %w", err)
	}
	defer f.Close()
	l, err := ParseLog(f)
	if err != nil {
		return nil, fmt.Errorf("lynis log %s: %w", path, err)
	}
	return l, nil
}

// The headers Lynis's Register writes, and its section break.
const (
	performingPrefix = "Performing test ID "
	skippedPrefix    = "Skipped test "
	reasonPrefix     = "Reason to skip: "
	startingPrefix   = "Starting Lynis "
	sectionBreak     = "===="
	timeLayout       = "2006-01-02 15:04:05"
)

// ParseLog parses a lynis.log. Each line starts with its time
// ("2006-01-02 15:04:05 "); a line without one continues the message
// before it (a multi-line message of a tool Lynis ran). Input without a
// single timed line is not a Lynis log.
func ParseLog(rd io.Reader) (*Log, error) {
	l := &Log{index: map[string]int{}}
	cur := -1 // index of the open test section, -1 when none
	n, timed := 0, 0
	err := eachLine(rd, func(line string) error {
		n++
		msg := line
		if ts, ok := lineTime(line); ok {
			timed++
			if l.Start.IsZero() {
				l.Start = ts
			}
			l.End = ts
			msg = line[len(timeLayout)+1:]
		}
		switch {
		case strings.HasPrefix(msg, performingPrefix), strings.HasPrefix(msg, skippedPrefix):
			skipped := strings.HasPrefix(msg, skippedPrefix)
			rest := strings.TrimPrefix(strings.TrimPrefix(msg, performingPrefix), skippedPrefix)
			id, desc, _ := strings.Cut(rest, " ")
			if id == "" {
				return fmt.Errorf("line %d: a test header without an id: %q", n, clip(msg))
			}
			if strings.HasPrefix(desc, "(") && strings.HasSuffix(desc, ")") {
				desc = desc[1 : len(desc)-1]
			}
			l.Tests = append(l.Tests, Test{ID: id, Description: desc, Skipped: skipped, Line: n})
			cur = len(l.Tests) - 1
			l.index[id] = cur
		case strings.HasPrefix(msg, sectionBreak):
			cur = -1
		case cur >= 0 && l.Tests[cur].Skipped && l.Tests[cur].SkipReason == "" && strings.HasPrefix(msg, reasonPrefix):
			l.Tests[cur].SkipReason = strings.TrimPrefix(msg, reasonPrefix)
		case cur >= 0:
			l.Tests[cur].Lines = append(l.Tests[cur].Lines, msg)
		case l.Version == "" && strings.HasPrefix(msg, startingPrefix):
			l.Version, _, _ = strings.Cut(strings.TrimPrefix(msg, startingPrefix), " ")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if timed == 0 {
		return nil, errors.New("not a Lynis log: no line starts with a time")
	}
	return l, nil
}

// lineTime reads the time a log line starts with.
func lineTime(line string) (time.Time, bool) {
	if len(line) <= len(timeLayout) || line[len(timeLayout)] != ' ' {
		return time.Time{}, false
	}
	ts, err := time.Parse(timeLayout, line[:len(timeLayout)])
	if err != nil {
		return time.Time{}, false
	}
	return ts, true
}
