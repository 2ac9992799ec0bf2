// Package conf reads configuration files the way their programs do:
// OpenSSH's sshd_config (Include followed, Match blocks left out),
// KEY VALUE and KEY=VALUE files, sysctl.conf files in systemd-sysctl's
// order, PAM stacks (@include and include/substack followed) and INI
// files. Every value keeps the file and line it came from.
package conf

import (
	"bytes"
	"strings"
)

// Source reads the host's files (absolute host paths).
type Source interface {
	ReadFile(path string) ([]byte, error)
	Glob(pattern string) ([]string, error)
}

// Entry is one setting: its key as written, value, file and line.
type Entry struct {
	Key   string
	Value string
	File  string
	Line  int
}

// maxDepth bounds nested includes.
const maxDepth = 16

// maxLineLen bounds one line; longer lines are cut.
const maxLineLen = 64 << 10

// lines calls fn with each line of data (numbered from 1), without the
// line break.
func lines(data []byte, fn func(n int, line string)) {
	n := 0
	for len(data) > 0 {
		n++
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > maxLineLen {
			line = line[:maxLineLen]
		}
		fn(n, string(line))
	}
}

// unquote removes one pair of matching quotes around s.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// isComment reports whether a trimmed line is blank or a comment
// starting with one of the markers.
func isComment(trimmed, markers string) bool {
	return trimmed == "" || strings.ContainsRune(markers, rune(trimmed[0]))
}
