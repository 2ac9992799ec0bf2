// Package ldso parses the dynamic linker's configuration: /etc/ld.so.preload
// (libraries loaded into every dynamically linked program) and
// /etc/ld.so.conf with its included files (library directories).
package ldso

import (
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// ParsePreload returns the libraries of an ld.so.preload file: names
// separated by blanks, ':' or line breaks; '#' starts a comment to the end
// of the line, as ld.so reads it. It cannot fail: whatever is there, the
// linker tries to load.
func ParsePreload(data []byte) []string {
	var out []string
	for _, line := range textfile.Lines(data) {
		s := string(line)
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		out = append(out, strings.FieldsFunc(s, func(r rune) bool {
			return r == ' ' || r == '\t' || r == ':' || r == '\r' || r == '\f' || r == '\v'
		})...)
	}
	return out
}

// Kinds of ld.so.conf entries.
const (
	KindDir     = "dir"
	KindInclude = "include"
	KindHwcap   = "hwcap"
)

// Entry is one directory, include pattern or hwcap line.
type Entry struct {
	Line  int
	Kind  string
	Value string
}

// Conf is a parsed ld.so.conf file.
type Conf struct {
	Entries  []Entry
	Problems textfile.Problems
}

// ParseConf parses an ld.so.conf file as ldconfig does: '#' comments,
// "include PATTERN" lines, obsolete "hwcap" lines, and directories
// (several on a line may be separated by blanks, ',' or ':'). A
// directory that is not absolute is skipped and listed in Problems, as
// ldconfig ignores it.
func ParseConf(data []byte) Conf {
	var c Conf
	for n, line := range textfile.Lines(data) {
		s := string(line)
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case strings.HasPrefix(s, "include ") || strings.HasPrefix(s, "include\t"):
			for _, p := range strings.Fields(s[len("include"):]) {
				c.Entries = append(c.Entries, Entry{Line: n, Kind: KindInclude, Value: p})
			}
		case strings.HasPrefix(s, "hwcap ") || strings.HasPrefix(s, "hwcap\t"):
			c.Entries = append(c.Entries, Entry{Line: n, Kind: KindHwcap, Value: strings.Join(strings.Fields(s[len("hwcap"):]), " ")})
		default:
			for _, d := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == ':' }) {
				if !strings.HasPrefix(d, "/") {
					c.Problems.Skip(n, "library directory is not absolute")
					continue
				}
				c.Entries = append(c.Entries, Entry{Line: n, Kind: KindDir, Value: d})
			}
		}
	}
	return c
}
