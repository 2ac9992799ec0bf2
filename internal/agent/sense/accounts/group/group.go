// Package group parses the group(5) database: one group a line, four
// colon-separated fields (name, password, gid, comma-separated members).
//
// Blank lines and lines starting with '#' are skipped; a line without the
// four fields, with an empty name or a gid that is not a decimal number is
// skipped and listed in File.Problems. NIS compat lines ("+", "-name")
// may leave the gid empty. The password field is only classified (package
// shadow), never kept.
package group

import (
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/shadow"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// Entry is one group.
type Entry struct {
	// Line is the 1-based line number.
	Line     int
	Name     string
	Password shadow.Password
	// GID is -1 on a compat line that leaves it empty.
	GID int64
	// Members are the supplementary members, in file order.
	Members []string
	// Compat is true for NIS compat lines.
	Compat bool
}

// File is a parsed group file.
type File struct {
	Entries  []Entry
	Problems textfile.Problems
}

// Parse parses group data; key keys the password digests.
func Parse(data []byte, key []byte) File {
	var f File
	for n, line := range textfile.Lines(data) {
		if textfile.Blank(line) || textfile.Comment(line, '#') {
			continue
		}
		fields := strings.Split(string(line), ":")
		if len(fields) != 4 {
			f.Problems.Skip(n, "want 4 colon-separated fields, have "+strconv.Itoa(len(fields)))
			continue
		}
		e := Entry{Line: n, Name: fields[0], Members: shadow.List(fields[3])}
		e.Compat = strings.HasPrefix(e.Name, "+") || strings.HasPrefix(e.Name, "-")
		if e.Name == "" {
			f.Problems.Skip(n, "empty group name")
			continue
		}
		if fields[2] == "" && e.Compat {
			e.GID = -1
		} else {
			gid, err := strconv.ParseUint(fields[2], 10, 32)
			if err != nil {
				f.Problems.Skip(n, "gid is not a number")
				continue
			}
			e.GID = int64(gid)
		}
		e.Password = shadow.Classify(fields[1], key)
		f.Entries = append(f.Entries, e)
	}
	return f
}
