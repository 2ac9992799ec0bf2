// Package passwd parses the passwd(5) account database: one account a
// line, seven colon-separated fields (name, password, uid, gid, GECOS,
// home directory, shell).
//
// The parser is as lenient as the C library's files backend where that
// costs nothing (blank lines and lines starting with '#' are skipped, a
// shell may contain ':'), and strict where a wrong reading would hide an
// account: a line that does not have the seven fields, whose name is
// empty or whose uid or gid is not a decimal number is skipped and listed
// in File.Problems with its line number. NIS compat lines ("+", "-name",
// "+@netgroup") are kept with empty ids allowed.
//
// The password field is never kept: Entry.Password only says what kind of
// value it held (package shadow classifies it), so that no hash leaves
// the parser.
package passwd

import (
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/shadow"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// Entry is one account.
type Entry struct {
	// Line is the 1-based line number.
	Line int
	Name string
	// Password classifies the second field: "x" (in shadow) is the
	// usual value; an empty field lets anyone log in without a password,
	// and a hash there is honoured by the C library.
	Password shadow.Password
	// UID and GID are -1 on a NIS compat line that leaves them empty.
	UID, GID int64
	GECOS    string
	Home     string
	Shell    string
	// Compat is true for NIS compat lines ("+...", "-...").
	Compat bool
}

// FullName is the first comma-separated part of the GECOS field.
func (e Entry) FullName() string {
	name, _, _ := strings.Cut(e.GECOS, ",")
	return name
}

// File is a parsed passwd file.
type File struct {
	Entries  []Entry
	Problems textfile.Problems
}

// Parse parses passwd data. The password digests of Entry.Password are
// keyed with key (see shadow.Classify).
func Parse(data []byte, key []byte) File {
	var f File
	for n, line := range textfile.Lines(data) {
		if textfile.Blank(line) || textfile.Comment(line, '#') {
			continue
		}
		fields := strings.SplitN(string(line), ":", 7)
		compat := line[0] == '+' || line[0] == '-'
		for compat && len(fields) < 7 {
			fields = append(fields, "") // "+@netgroup" may stop early
		}
		if len(fields) != 7 {
			f.Problems.Skip(n, "want 7 colon-separated fields, have "+strconv.Itoa(len(fields)))
			continue
		}
		e := Entry{Line: n, Name: fields[0], GECOS: fields[4], Home: fields[5], Shell: fields[6], Compat: compat}
		if e.Name == "" {
			f.Problems.Skip(n, "empty account name")
			continue
		}
		var ok bool
		if e.UID, ok = parseID(fields[2], e.Compat); !ok {
			f.Problems.Skip(n, "uid is not a number")
			continue
		}
		if e.GID, ok = parseID(fields[3], e.Compat); !ok {
			f.Problems.Skip(n, "gid is not a number")
			continue
		}
		e.Password = shadow.Classify(fields[1], key)
		f.Entries = append(f.Entries, e)
	}
	return f
}

// parseID parses a uid or gid: a decimal number that fits 32 bits, or
// empty on a compat line.
func parseID(s string, compat bool) (int64, bool) {
	if s == "" && compat {
		return -1, true
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int64(v), true
}
