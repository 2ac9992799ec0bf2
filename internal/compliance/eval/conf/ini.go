package conf

import "strings"

// INI is a file of [section] headers and key = value lines. Settings
// are keyed "section.key" ("key" before any section); the last value
// wins.
type INI struct {
	Settings map[string]Entry
}

// ParseINI reads data. Lines starting with ; or # are comments; a key
// without = is set to "".
func ParseINI(file string, data []byte) *INI {
	ini := &INI{Settings: map[string]Entry{}}
	section := ""
	lines(data, func(n int, line string) {
		s := strings.TrimSpace(line)
		if isComment(s, "#;") {
			return
		}
		if s[0] == '[' {
			if end := strings.IndexByte(s, ']'); end > 0 {
				section = strings.TrimSpace(s[1:end])
			}
			return
		}
		k, v, _ := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if k == "" {
			return
		}
		full := k
		if section != "" {
			full = section + "." + k
		}
		ini.Settings[full] = Entry{Key: full, Value: strings.TrimSpace(v), File: file, Line: n}
	})
	return ini
}

// Get returns the setting of "section.key" (the section is what comes
// before the last dot), or of "key" outside any section.
func (ini *INI) Get(key string) (Entry, bool) {
	e, ok := ini.Settings[key]
	return e, ok
}
