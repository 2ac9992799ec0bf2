// Package lynis reads what a Lynis audit leaves behind: the report
// file (lynis-report.dat: key=value lines, lists as key[]=value, the
// warnings, suggestions and details of each test) and the log
// (lynis.log: which tests ran or were skipped and why, and what each
// found). It knows Lynis 3.0's formats; it runs nothing.
package lynis

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxLine bounds one line of a report or log; the longest real line is
// the installed package list of the report (about 30 bytes a package).
const MaxLine = 16 << 20

// Report is a parsed lynis-report.dat.
type Report struct {
	// Values holds the plain keys (key=value) with every value in the
	// order of the file: Lynis writes some keys more than once
	// (uncommon_network_protocol_enabled, one line per protocol).
	Values map[string][]string
	// Lists holds the list keys (key[]=value) other than warning,
	// suggestion and details, in the order of the file.
	Lists map[string][]string
	// Warnings and Suggestions are warning[] and suggestion[].
	Warnings    []Finding
	Suggestions []Finding
	// Details are the details[] entries: atomic results of tests that
	// check many items (sysctl keys, sshd options).
	Details []Detail
	// Executed and Skipped are the test ids of tests_executed and
	// tests_skipped.
	Executed []string
	Skipped  []string
}

// Finding is one warning[] or suggestion[] line:
// TEST-ID|text|details|solution|.
type Finding struct {
	Test     string
	Text     string
	Details  string
	Solution string
}

// Detail is one details[] line: TEST-ID|service|desc:..;field:..;prefval:..;value:..;|.
type Detail struct {
	Test    string
	Service string
	// Fields holds the name:value pairs (desc, field, prefval, value,
	// other).
	Fields map[string]string
}

// Field is the detail's "field" (the sysctl key, the sshd option).
func (d Detail) Field() string { return d.Fields["field"] }

// Value returns the last value of a plain key.
func (r *Report) Value(key string) (string, bool) {
	v := r.Values[key]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// Findings returns the warnings and suggestions of a test, warnings first.
func (r *Report) Findings(test string) []Finding {
	var out []Finding
	for _, f := range r.Warnings {
		if f.Test == test {
			out = append(out, f)
		}
	}
	for _, f := range r.Suggestions {
		if f.Test == test {
			out = append(out, f)
		}
	}
	return out
}

// DetailsOf returns the details of a test.
func (r *Report) DetailsOf(test string) []Detail {
	var out []Detail
	for _, d := range r.Details {
		if d.Test == test {
			out = append(out, d)
		}
	}
	return out
}

// ReadReportFile parses the report file at path.
func ReadReportFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lynis report: %w", err)
	}
	defer f.Close()
	r, err := ParseReport(f)
	if err != nil {
		return nil, fmt.Errorf("lynis report %s: %w", path, err)
	}
	return r, nil
}

// ParseReport parses a lynis-report.dat. Blank lines and lines starting
// with # are comments; every other line must be key=value or
// key[]=value. A line that is not, or a warning, suggestion or detail
// without its fields, is an error naming the line.
func ParseReport(rd io.Reader) (*Report, error) {
	r := &Report{Values: map[string][]string{}, Lists: map[string][]string{}}
	n := 0
	err := eachLine(rd, func(line string) error {
		n++
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			return nil
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("line %d: no '=' in %q", n, clip(line))
		}
		list := strings.HasSuffix(key, "[]")
		key = strings.TrimSuffix(key, "[]")
		if err := checkKey(key); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if !list {
			r.Values[key] = append(r.Values[key], value)
			switch key {
			case "tests_executed":
				r.Executed = splitTests(value)
			case "tests_skipped":
				r.Skipped = splitTests(value)
			}
			return nil
		}
		switch key {
		case "warning", "suggestion":
			f, err := parseFinding(value)
			if err != nil {
				return fmt.Errorf("line %d: %s: %w", n, key, err)
			}
			if key == "warning" {
				r.Warnings = append(r.Warnings, f)
			} else {
				r.Suggestions = append(r.Suggestions, f)
			}
		case "details":
			d, err := parseDetail(value)
			if err != nil {
				return fmt.Errorf("line %d: details: %w", n, err)
			}
			r.Details = append(r.Details, d)
		default:
			r.Lists[key] = append(r.Lists[key], value)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// checkKey accepts the keys Lynis writes: letters, digits, _ - . and :.
func checkKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-.:", c)) {
			return fmt.Errorf("key %q: character %q is not allowed", clip(key), c)
		}
	}
	return nil
}

// splitTests splits "A-1|B-2|" into its test ids.
func splitTests(s string) []string {
	var out []string
	for _, id := range strings.Split(s, "|") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// fields splits the |-separated value of a list entry, dropping the
// one trailing separator Lynis writes.
func fields(v string) []string {
	return strings.Split(strings.TrimSuffix(v, "|"), "|")
}

// parseFinding reads TEST-ID|text|details|solution|. A text holding
// '|' is kept whole: the last two fields are details and solution.
func parseFinding(v string) (Finding, error) {
	fs := fields(v)
	if len(fs) < 2 || strings.TrimSpace(fs[0]) == "" {
		return Finding{}, fmt.Errorf("want TEST-ID|text|details|solution|, got %q", clip(v))
	}
	f := Finding{Test: fs[0]}
	switch len(fs) {
	case 2:
		f.Text = fs[1]
	case 3:
		f.Text, f.Details = fs[1], fs[2]
	default:
		f.Text = strings.Join(fs[1:len(fs)-2], "|")
		f.Details, f.Solution = fs[len(fs)-2], fs[len(fs)-1]
	}
	return f, nil
}

// parseDetail reads TEST-ID|service|name:value;name:value;|. Lynis
// does not escape ';' in a value: a piece without ':' belongs to the
// value before it.
func parseDetail(v string) (Detail, error) {
	fs := fields(v)
	if len(fs) < 3 || strings.TrimSpace(fs[0]) == "" {
		return Detail{}, fmt.Errorf("want TEST-ID|service|name:value;...|, got %q", clip(v))
	}
	d := Detail{Test: fs[0], Service: fs[1], Fields: map[string]string{}}
	pieces := map[string][]string{}
	var order []string
	last := ""
	for _, pair := range strings.Split(strings.Join(fs[2:], "|"), ";") {
		if pair == "" {
			continue
		}
		name, value, ok := strings.Cut(pair, ":")
		if !ok {
			if last == "" {
				return Detail{}, fmt.Errorf("%q: want name:value", clip(pair))
			}
			pieces[last] = append(pieces[last], pair)
			continue
		}
		if _, seen := pieces[name]; !seen {
			order = append(order, name)
		}
		pieces[name] = []string{value} // a repeated name: the last wins
		last = name
	}
	for _, name := range order {
		d.Fields[name] = strings.Join(pieces[name], ";")
	}
	return d, nil
}

// eachLine calls fn with every line of rd (without its end of line and
// a trailing carriage return), bounded by MaxLine.
func eachLine(rd io.Reader, fn func(string) error) error {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	for sc.Scan() {
		if err := fn(strings.TrimSuffix(sc.Text(), "\r")); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("a line is longer than %d bytes: %w", MaxLine, err)
		}
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 120
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
