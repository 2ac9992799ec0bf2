// Package unit parses systemd unit files and drop-ins (systemd.syntax(7)):
// "[Section]" headers, "Key=Value" assignments, comments starting with
// '#' or ';', and lines continued with a trailing backslash (comment
// lines inside a continuation are dropped, as systemd does).
//
// An assignment before any section header, a line that is neither a
// header nor an assignment, and an unterminated header are skipped and
// listed in File.Problems, as systemd ignores them with a warning.
package unit

import (
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// Entry is one assignment.
type Entry struct {
	// Line is the number of the first physical line.
	Line    int
	Section string
	Key     string
	Value   string
}

// File is a parsed unit file.
type File struct {
	Entries  []Entry
	Problems textfile.Problems
}

// comment reports a comment line.
func comment(line []byte) bool {
	return textfile.Comment(line, '#') || textfile.Comment(line, ';')
}

// Parse parses a unit file.
func Parse(data []byte) File {
	var f File
	section := ""
	for n, raw := range textfile.Logical(data, comment) {
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			if len(line) < 3 || line[len(line)-1] != ']' {
				f.Problems.Skip(n, "bad section header")
				section = "\x00" // assignments until the next good header are ignored
				continue
			}
			section = line[1 : len(line)-1]
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		switch {
		case !ok || key == "":
			f.Problems.Skip(n, "not an assignment")
			continue
		case section == "":
			f.Problems.Skip(n, "assignment outside of a section")
			continue
		case section == "\x00":
			f.Problems.Skip(n, "assignment in a bad section")
			continue
		}
		f.Entries = append(f.Entries, Entry{Line: n, Section: section, Key: key, Value: strings.TrimSpace(value)})
	}
	return f
}

// Values returns the values of a list setting (ExecStart=, WantedBy= ...)
// in order; an empty assignment resets the list, as in systemd.
func (f File) Values(section, key string) []string {
	var out []string
	for _, e := range f.Entries {
		if e.Section != section || e.Key != key {
			continue
		}
		if e.Value == "" {
			out = nil
			continue
		}
		out = append(out, e.Value)
	}
	return out
}

// Value returns the last value of a single-valued setting (User=), ""
// when unset.
func (f File) Value(section, key string) string {
	v := ""
	for _, e := range f.Entries {
		if e.Section == section && e.Key == key {
			v = e.Value
		}
	}
	return v
}

// Suffixes are the unit types.
var Suffixes = []string{".service", ".socket", ".timer", ".path", ".target", ".mount", ".automount", ".swap", ".slice", ".scope", ".device"}

// IsUnitName reports whether name ends in a unit type's suffix and has
// something before it.
func IsUnitName(name string) bool {
	for _, s := range Suffixes {
		if len(name) > len(s) && strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}
